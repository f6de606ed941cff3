import { describe, expect, it } from 'vitest';
import { dangerousGrants, isReadOnlyPolicy, wildcardMatch } from '../../../src/domain/permissions.js';
import { normalisePolicy } from '../../../src/domain/policy.js';

const ACCOUNT = '123456789012';
const policy = (...statements: Record<string, unknown>[]) => normalisePolicy({ Statement: statements });

describe('wildcardMatch', () => {
  it.each([
    ['iam:P*Role', 'iam:PassRole', true, true],
    ['iam:P*Role', 'iam:PutRolePolicy', true, false],
    ['iam:Pass?ole', 'iam:PassRole', true, true],
    ['*', 'anything:AtAll', false, true],
    ['s3:Get*', 'S3:GETOBJECT', true, true],
    ['s3:Get*', 'S3:GETOBJECT', false, false],
    ['arn:aws:iam::*:role/*', 'arn:aws:iam::123456789012:role/path/x', false, true],
    ['a*b*c', 'aXXbYYc', false, true],
    ['a*b*c', 'aXXbYY', false, false],
  ])('%s against %s (ignore case %s) is %s', (pattern, value, ignoreCase, expected) => {
    expect(wildcardMatch(pattern, value, ignoreCase)).toBe(expected);
  });
});

describe('dangerousGrants', () => {
  it.each([
    ['full admin', { Effect: 'Allow', Action: '*', Resource: '*' }, 'full-admin', 'critical'],
    ['full admin written *:*', { Effect: 'Allow', Action: '*:*', Resource: '*' }, 'full-admin', 'critical'],
    [
      'full admin behind a condition',
      { Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
      'full-admin',
      'high',
    ],
    ['iam:*', { Effect: 'Allow', Action: 'iam:*', Resource: '*' }, 'iam-wildcard', 'critical'],
    ['PassRole through iam:P*Role', { Effect: 'Allow', Action: 'iam:P*Role', Resource: '*' }, 'pass-role-any', 'high'],
    [
      'PassRole on every role of the account',
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${ACCOUNT}:role/*` },
      'pass-role-any',
      'high',
    ],
    ['AssumeRole on *', { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }, 'assume-role-any', 'high'],
    [
      'NotAction that leaves IAM in',
      { Effect: 'Allow', NotAction: ['s3:*'], Resource: '*' },
      'not-action-allow',
      'critical',
    ],
    [
      'NotAction that takes IAM out',
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      'not-action-allow',
      'high',
    ],
  ])('flags %s', (_label, statement, kind, severity) => {
    const grants = dangerousGrants(policy(statement), ACCOUNT);
    expect(grants.map((g) => [g.kind, g.severity])).toContainEqual([kind, severity]);
  });

  it.each([
    [
      'PassRole scoped by iam:PassedToService',
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: '*',
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ],
    ['PassRole on one role', { Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${ACCOUNT}:role/one` }],
    ['read-only IAM', { Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' }],
    ['a Deny of everything', { Effect: 'Deny', Action: '*', Resource: '*' }],
    ['S3 on *', { Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    [
      'AssumeRole on one role',
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${ACCOUNT}:role/x` },
    ],
  ])('does not flag %s', (_label, statement) => {
    expect(dangerousGrants(policy(statement), ACCOUNT)).toEqual([]);
  });

  it('reports each kind once, the most severe first', () => {
    const grants = dangerousGrants(
      policy(
        { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' },
        { Effect: 'Allow', Action: 'iam:*', Resource: '*' },
        { Effect: 'Allow', Action: 'iam:*', Resource: 'arn:aws:iam::*:role/*' },
      ),
      ACCOUNT,
    );
    expect(grants.map((g) => g.kind)).toEqual(['iam-wildcard', 'assume-role-any']);
  });
});

describe('isReadOnlyPolicy', () => {
  it.each([
    [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }, true],
    [{ Effect: 'Allow', Action: ['ec2:Describe*'], Resource: '*' }, true],
    [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: '*' }, false],
    [{ Effect: 'Allow', Action: ['s3:*'], Resource: '*' }, false],
    [{ Effect: 'Allow', NotAction: ['s3:PutObject'], Resource: '*' }, false],
  ])('%j is read-only: %s', (statement, expected) => {
    expect(isReadOnlyPolicy(policy(statement))).toBe(expected);
  });
});
