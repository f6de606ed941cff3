import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_PERMISSIONS } from '../../../src/aws/permissions.js';

describe('infra/auditor-policy.json', () => {
  it('grants exactly the actions the adapters declare, read-only', () => {
    const policy = JSON.parse(readFileSync(new URL('../../../infra/auditor-policy.json', import.meta.url), 'utf8'));
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action).sort();
    expect(actions).toEqual(AUDIT_PERMISSIONS);
    expect(actions.every((a: string) => /^(batch:Describe|events:List|iam:(Get|List))/.test(a))).toBe(true);
  });
});
