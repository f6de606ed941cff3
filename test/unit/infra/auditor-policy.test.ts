import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_PERMISSIONS, ORGANIZATION_CALLER_PERMISSIONS } from '../../../src/aws/permissions.js';

const statements = (file: string): { Action: string[]; Resource: string }[] =>
  JSON.parse(readFileSync(new URL(`../../../infra/${file}`, import.meta.url), 'utf8')).Statement;

describe('the CLI policies in infra/', () => {
  it('auditor-policy.json grants exactly the actions the audit adapters declare, read-only', () => {
    const actions = statements('auditor-policy.json')
      .flatMap((s) => s.Action)
      .sort();
    expect(actions).toEqual(CLI_PERMISSIONS);
    expect(actions.every((a) => /^(batch:Describe|ec2:DescribeRegions$|events:List|iam:(Get|List))/.test(a))).toBe(
      true,
    );
  });

  it('organization-caller-policy.json grants what an organisation run calls, AssumeRole only on the member role', () => {
    const all = statements('organization-caller-policy.json');
    expect(all.flatMap((s) => s.Action).sort()).toEqual(ORGANIZATION_CALLER_PERMISSIONS);
    expect(all.find((s) => s.Action.includes('sts:AssumeRole'))?.Resource).toBe(
      'arn:aws:iam::*:role/batch-iam-drift-audit',
    );
  });
});
