import { describe, expect, it } from 'vitest';
import { BaselineError, parseBaselineText } from '../../../src/baseline/parse.js';

const problems = (text: string) => {
  try {
    parseBaselineText(text, 'baseline.yaml');
  } catch (error) {
    if (error instanceof BaselineError)
      return error.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    throw error;
  }
  return [];
};

const VALID = `version: 1
account: '123456789012'
roleKinds:
  instance-role:
    allowedManagedPolicies: [AmazonSSMManagedInstanceCore]
    requiredManagedPolicies:
      - service-role/AmazonEC2ContainerServiceforEC2Role
      - [AmazonEC2ContainerRegistryPullOnly, AmazonEC2ContainerRegistryReadOnly]
instanceProfiles:
  ecsInstanceRole: ecsInstanceRole
roles:
  - match: { arn: 'arn:aws:iam::*:role/teams/genomics/*' }
    kind: instance-role
    trust:
      principals: ['AWS:arn:aws:iam::123456789012:role/break-glass']
    inlinePolicies:
      read-references:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: arn:aws:s3:::references/*
      anything-goes: null
    permissionsBoundary: arn:aws:iam::123456789012:policy/batch-boundary
  - match: { computeEnvironmentTag: { key: team, value: etl } }
    customerManagedPolicies:
      arn:aws:iam::123456789012:policy/etl-read:
        versionId: v3
        document: '{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}'
waivers:
  - rule: managed-policy-unexpected
    resource: 'arn:aws:iam::123456789012:role/legacy-*'
    reason: migration to the new instance role, JIRA BATCH-42
    owner: platform-team
    expires: 2027-01-31
`;

describe('parseBaselineText', () => {
  it('reads a valid baseline into expectations, documents normalised', () => {
    const parsed = parseBaselineText(VALID, 'baseline.yaml');
    expect(parsed.account).toBe('123456789012');
    expect(parsed.roleKinds?.['instance-role']?.requiredManagedPolicies).toEqual([
      ['service-role/AmazonEC2ContainerServiceforEC2Role'],
      ['AmazonEC2ContainerRegistryPullOnly', 'AmazonEC2ContainerRegistryReadOnly'],
    ]);
    expect(parsed.roles?.[0]?.inlinePolicies?.['read-references']?.statements).toEqual([
      { effect: 'Allow', actions: ['s3:getobject'], resources: ['arn:aws:s3:::references/*'] },
    ]);
    expect(parsed.roles?.[0]?.inlinePolicies?.['anything-goes']).toBeNull();
    expect(parsed.roles?.[1]?.customerManagedPolicies?.['arn:aws:iam::123456789012:policy/etl-read']?.versionId).toBe(
      'v3',
    );
    expect(parsed.waivers?.[0]?.expires).toBe('2027-01-31');
    expect(parsed.source?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts the same baseline written as JSON', () => {
    const json = JSON.stringify({
      version: 1,
      roles: [{ match: { name: 'ecsInstanceRole' }, managedPolicies: ['AdministratorAccess'] }],
    });
    expect(parseBaselineText(json, 'baseline.json').roles?.[0]?.managedPolicies).toEqual(['AdministratorAccess']);
  });

  it.each([
    [
      'an unknown key',
      'version: 1\nroles:\n  - match: { name: a }\n    colour: blue\n',
      '4:5 roles[0].colour: unknown key "colour"',
    ],
    ['a wrong type', 'version: 1\nwaivers: {}\n', '2:10 waivers: must be array, not object'],
    [
      'an unquoted account id',
      'version: 1\naccount: 012345678901\n',
      '2:10 account: must be a string, not the number 12345678901: quote it (YAML reads 012345678901 as the number 12345678901)',
    ],
    [
      'an invalid role ARN glob',
      'version: 1\nroles:\n  - match: { arn: "role/*" }\n',
      '3:19 roles[0].match.arn: "role/*" is not valid here (expected role ARN glob (* and ?))',
    ],
    [
      'an invalid role name glob',
      'version: 1\nroles:\n  - match: { name: "my role" }\n',
      '3:20 roles[0].match.name: "my role" is not valid here (expected role name glob (* and ?))',
    ],
    [
      'a waiver without an owner',
      'version: 1\nwaivers:\n  - { rule: "*", resource: "*", reason: r, expires: 2027-01-01 }\n',
      '3:5 waivers[0]: missing required key "owner"',
    ],
    [
      'a bad expiry date',
      'version: 1\nwaivers:\n  - { rule: "*", resource: "*", reason: r, owner: o, expires: 31/01/2027 }\n',
      '3:63 waivers[0].expires: "31/01/2027" is not a date (YYYY-MM-DD)',
    ],
    [
      'an unknown rule in a waiver',
      'version: 1\nwaivers:\n  - { rule: nope, resource: "*", reason: r, owner: o, expires: 2027-01-01 }\n',
      '3:13 waivers[0].rule: must be one of "*", "role-missing"',
    ],
    [
      'an unparseable policy',
      'version: 1\nroles:\n  - match: { name: a }\n    inlinePolicies:\n      p: { Statement: { Effect: Permit, Action: "*" } }\n',
      '5:10 roles[0].inlinePolicies.p: unparseable policy document: Statement[0].Effect must be "Allow" or "Deny"',
    ],
    [
      'a policy that is not JSON',
      'version: 1\nroles:\n  - match: { name: a }\n    trust:\n      document: "{not json"\n',
      '5:17 roles[0].trust.document: unparseable policy document:',
    ],
    [
      'a YAML syntax error',
      'version: 1\nroles:\n  - match: {name: a}\n  bad\n',
      '4:3 : Implicit map keys need to be followed by map values',
    ],
    ['a duplicate key', 'version: 1\nversion: 1\n', '2:1 : Map keys must be unique'],
    ['a missing version', 'roles: []\n', '1:1 : missing required key "version"'],
  ])('reports %s with its line and path', (_label, text, expected) => {
    const found = problems(text);
    expect(found.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('reports every problem at once', () => {
    expect(problems('version: 2\naccount: 1\nroles: 3\n')).toHaveLength(3);
  });
});
