import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const schema = JSON.parse(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const validate = ajv.compile(schema);

/** Validates a report against docs/report.schema.json; returns the errors, empty when valid. */
export const reportSchemaErrors = (report: unknown): string[] =>
  validate(report) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
