import { describe, expect, it } from 'vitest';
import { normalisePolicy } from '../../../src/domain/policy.js';
import { analyseTrust } from '../../../src/domain/trust.js';

const ACCOUNT = '123456789012';
const trust = (...statements: Record<string, unknown>[]) => normalisePolicy({ Statement: statements });
const allowService = (service: string, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: { Service: service },
  Action: 'sts:AssumeRole',
  ...extra,
});

describe('analyseTrust', () => {
  it('accepts the documented trust policy', () => {
    const result = analyseTrust(trust(allowService('ec2.amazonaws.com')), 'ec2.amazonaws.com', ACCOUNT);
    expect(result).toEqual({ serviceCanAssume: true, unexpected: [], hasConfusedDeputyCondition: false });
  });

  it.each([
    ['another service only', trust(allowService('lambda.amazonaws.com')), /no statement allows ec2.amazonaws.com/],
    [
      'a Deny for the service',
      trust(allowService('ec2.amazonaws.com'), { ...allowService('ec2.amazonaws.com'), Effect: 'Deny' }),
      /a Deny statement/,
    ],
    [
      'a SourceAccount of another account',
      trust(
        allowService('ec2.amazonaws.com', { Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } } }),
      ),
      /aws:SourceAccount condition allows only 999999999999/,
    ],
    [
      'a SourceArn of another account',
      trust(
        allowService('ec2.amazonaws.com', {
          Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:batch:us-east-1:999999999999:compute-environment/*' } },
        }),
      ),
      /aws:SourceArn condition allows only other accounts/,
    ],
    [
      'only sts:TagSession',
      trust({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:TagSession' }),
      /no statement allows/,
    ],
  ])('says the service cannot assume the role with %s', (_label, policy, reason) => {
    const result = analyseTrust(policy, 'ec2.amazonaws.com', ACCOUNT);
    expect(result.serviceCanAssume).toBe(false);
    expect(result.blockedBecause).toMatch(reason);
  });

  it.each([
    ['everyone', { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }, 'AWS:*', 'critical'],
    [
      'everyone behind a condition',
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } },
      },
      'AWS:*',
      'high',
    ],
    [
      'another account',
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'sts:AssumeRole' },
      'AWS:210987654321',
      'critical',
    ],
    [
      'a role of another account',
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:role/x' }, Action: 'sts:AssumeRole' },
      'AWS:arn:aws:iam::210987654321:role/x',
      'critical',
    ],
    [
      'a user of this account',
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/dev` }, Action: 'sts:AssumeRole' },
      `AWS:arn:aws:iam::${ACCOUNT}:user/dev`,
      'high',
    ],
    [
      'another service (over-broad, not external)',
      allowService('lambda.amazonaws.com'),
      'Service:lambda.amazonaws.com',
      'medium',
    ],
    [
      'a deleted role, shown by its unique id (stale)',
      { Effect: 'Allow', Principal: { AWS: 'AROA1234567890EXAMPLE' }, Action: 'sts:AssumeRole' },
      'AWS:AROA1234567890EXAMPLE',
      'info',
    ],
    [
      'a deleted user, shown by its unique id (stale)',
      { Effect: 'Allow', Principal: { AWS: 'AIDAJQABLZS4A3QDU576Q' }, Action: 'sts:AssumeRole' },
      'AWS:AIDAJQABLZS4A3QDU576Q',
      'info',
    ],
    [
      'a federated principal',
      {
        Effect: 'Allow',
        Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/x' },
        Action: 'sts:AssumeRoleWithWebIdentity',
      },
      'Federated:arn:aws:iam::123456789012:oidc-provider/x',
      'high',
    ],
  ])('reports %s as an unexpected principal', (_label, statement, principal, severity) => {
    const result = analyseTrust(trust(allowService('ec2.amazonaws.com'), statement), 'ec2.amazonaws.com', ACCOUNT);
    expect(result.serviceCanAssume).toBe(true);
    expect(result.unexpected.map((u) => [u.principal, u.severity])).toEqual([[principal, severity]]);
  });

  it('notices confused-deputy conditions on the service statement', () => {
    const scoped = trust(
      allowService('batch.amazonaws.com', { Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }),
    );
    expect(analyseTrust(scoped, 'batch.amazonaws.com', ACCOUNT)).toMatchObject({
      serviceCanAssume: true,
      hasConfusedDeputyCondition: true,
    });
  });
});
