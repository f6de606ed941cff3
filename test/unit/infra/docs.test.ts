import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../../src/domain/finding.js';
import { reportSchemaErrors } from '../../support/schema.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('the docs match the code', () => {
  it('docs/rules.md documents every rule id, and no other', () => {
    const documented = [...read('docs/rules.md').matchAll(/^### `([a-z-]+)`/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...RULE_IDS].sort());
  });

  it('the example in docs/report.md is a valid report', () => {
    const example = /```json\n([\s\S]*?)\n```/.exec(read('docs/report.md'))?.[1] ?? '';
    expect(reportSchemaErrors(JSON.parse(example))).toEqual([]);
  });

  it('the JSON report sample in docs/alerts.md is a valid report', () => {
    const blocks = [...read('docs/alerts.md').matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1] ?? '');
    expect(reportSchemaErrors(JSON.parse(blocks.at(-1) ?? ''))).toEqual([]);
  });

  it('the report schema and docs/rules.md list the same rules', () => {
    const schema = JSON.parse(read('docs/report.schema.json'));
    expect([...schema.$defs.finding.properties.rule.enum].sort()).toEqual([...RULE_IDS].sort());
  });
});
