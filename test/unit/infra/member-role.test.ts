import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI_PERMISSIONS } from '../../../src/aws/permissions.js';

/** CloudFormation's short-form functions, read as their long forms. */
const CFN_TAGS = ['Ref', 'GetAtt', 'Sub', 'If', 'Not', 'Equals'].flatMap((name) => {
  const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: value }) },
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (value: { toJSON(): unknown }) => ({ [key]: value.toJSON() }),
    },
  ];
});

const FILE = new URL('../../../infra/member-role.yml', import.meta.url);
const template = parse(readFileSync(FILE, 'utf8'), { customTags: CFN_TAGS }) as {
  Resources: { AuditRole: { Properties: Record<string, unknown> } };
};
const role = template.Resources.AuditRole.Properties as {
  AssumeRolePolicyDocument: { Statement: { Principal: unknown; Action: string; Condition: unknown }[] };
  Policies: { PolicyDocument: { Statement: { Action: string[]; Effect: string }[] } }[];
};

describe('infra/member-role.yml', () => {
  it('grants exactly what the audit calls in an account, read-only', () => {
    const actions = role.Policies.flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => s.Action)).sort();
    expect(actions).toEqual(CLI_PERMISSIONS);
    expect(role.Policies.every((p) => p.PolicyDocument.Statement.every((s) => s.Effect === 'Allow'))).toBe(true);
  });

  it('trusts only the auditor role given as a parameter, with the external id when one is set', () => {
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: { Ref: 'AuditorRoleArn' } },
        Action: 'sts:AssumeRole',
        Condition: {
          'Fn::If': [
            'HasExternalId',
            { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
            { Ref: 'AWS::NoValue' },
          ],
        },
      },
    ]);
  });

  it('passes cfn-lint', () => {
    expect(() => execFileSync('cfn-lint', [FILE.pathname], { stdio: 'pipe' })).not.toThrow();
  }, 60_000);
});
