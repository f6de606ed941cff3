import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const load = (file: string) => JSON.parse(readFileSync(new URL(`../../docs/${file}`, import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(load('report.schema.json'));
const validate = ajv.compile(load('organization-report.schema.json'));
const validateReport = ajv.getSchema(load('report.schema.json').$id);

const errorsOf = (v: typeof validate, value: unknown): string[] =>
  v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

/** Validates a report against docs/report.schema.json; returns the errors, empty when valid. */
export const reportSchemaErrors = (report: unknown): string[] => {
  if (!validateReport) throw new Error('report.schema.json did not compile');
  return errorsOf(validateReport, report);
};

/** Validates an organisation report against docs/organization-report.schema.json (its accounts against report.schema.json). */
export const organizationSchemaErrors = (report: unknown): string[] => errorsOf(validate, report);

const validateOcsf = ajv.compile(load('ocsf-detection-finding.schema.json'));

/** Validates `--format ocsf` output against docs/ocsf-detection-finding.schema.json. */
export const ocsfSchemaErrors = (findings: unknown): string[] => errorsOf(validateOcsf, findings);
