import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../../src/domain/finding.js';
import { ESCALATION_METHODS, SEVERITY_TABLE } from '../../../src/domain/risk-data.js';
import { organizationSchemaErrors, reportSchemaErrors } from '../../support/schema.js';

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

  it('the organisation example in docs/report.md is a valid organisation report', () => {
    const blocks = [...read('docs/report.md').matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1] ?? '');
    const example = blocks.find((b) => b.includes('"kind": "organization"')) ?? '';
    expect(organizationSchemaErrors(JSON.parse(example))).toEqual([]);
  });

  it('the JSON report sample in docs/alerts.md is a valid report', () => {
    const blocks = [...read('docs/alerts.md').matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1] ?? '');
    expect(reportSchemaErrors(JSON.parse(blocks.at(-1) ?? ''))).toEqual([]);
  });

  it('docs/rules.md lists every escalation method, and no other', () => {
    const listed = [
      ...read('docs/rules.md').matchAll(/^\| `([a-z0-9-]+)` \| [^|]+ \| [^|]+ \| (Rhino|Bishop Fox) \|$/gm),
    ].map((m) => m[1]);
    expect(listed).toEqual(ESCALATION_METHODS.map((m) => m.id));
  });

  it('the severity table in docs/rules.md is the one the code uses', () => {
    const rows = [...read('docs/rules.md').matchAll(/^\| ([a-z-]+) \| (\S+) \| (\S+) \| (\S+) \| (\S+) \|$/gm)];
    const table = Object.fromEntries(
      rows
        .filter((m) => (m[1] ?? '') in SEVERITY_TABLE)
        .map((m) => [m[1], { hosts: m[2], job: m[3], agent: m[4], service: m[5] }]),
    );
    const expected = Object.fromEntries(
      Object.entries(SEVERITY_TABLE).map(([k, v]) => [
        k,
        Object.fromEntries(Object.entries(v).map(([reach, severity]) => [reach, severity ?? '—'])),
      ]),
    );
    expect(table).toEqual(expected);
  });

  it('the report schema and docs/rules.md list the same rules', () => {
    const schema = JSON.parse(read('docs/report.schema.json'));
    expect([...schema.$defs.finding.properties.rule.enum].sort()).toEqual([...RULE_IDS].sort());
  });
});
