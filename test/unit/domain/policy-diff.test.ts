import { describe, expect, it } from 'vitest';
import { normalisePolicy } from '../../../src/domain/policy.js';
import { describeDiff, diffPolicies, diffTrustPolicies, sameAccess } from '../../../src/domain/policy-diff.js';

const doc = (...statements: Record<string, unknown>[]) => normalisePolicy({ Statement: statements });
const allow = (Action: string | string[], Resource: string | string[] = '*', extra = {}) => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});

describe('diffPolicies', () => {
  it.each([
    ['a new action', doc(allow('s3:GetObject')), doc(allow(['s3:GetObject', 's3:PutObject'])), true, false],
    ['a removed action', doc(allow(['s3:GetObject', 's3:PutObject'])), doc(allow('s3:GetObject')), false, true],
    ['a wider wildcard', doc(allow('s3:GetObject')), doc(allow('s3:*')), true, false],
    [
      'a narrower action under a wildcard that stays',
      doc(allow('s3:*')),
      doc(allow(['s3:*', 's3:GetObject'])),
      false,
      false,
    ],
    [
      'a dropped condition',
      doc(allow('iam:PassRole', '*', { Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } })),
      doc(allow('iam:PassRole')),
      true,
      false,
    ],
    [
      'a removed Deny',
      doc(allow('s3:*'), { Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }),
      doc(allow('s3:*')),
      true,
      false,
    ],
    [
      'an added Deny',
      doc(allow('s3:*')),
      doc(allow('s3:*'), { Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }),
      false,
      true,
    ],
    [
      'a rewrite',
      doc(allow(['s3:GetObject', 's3:ListBucket'])),
      doc(allow('s3:ListBucket'), allow('S3:GetObject')),
      false,
      false,
    ],
  ])('tells broadened from narrowed for %s', (_label, before, after, broadened, narrowed) => {
    const diff = diffPolicies(before, after);
    expect([diff.broadened, diff.narrowed]).toEqual([broadened, narrowed]);
  });

  it.each([
    [
      'statements split from one (same access)',
      doc(allow(['s3:GetObject', 's3:PutObject'], ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'])),
      doc(
        allow('s3:GetObject', ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*']),
        allow('s3:PutObject', 'arn:aws:s3:::a/*'),
        allow('s3:PutObject', 'arn:aws:s3:::b/*'),
      ),
    ],
    [
      'a wildcard written out',
      doc(allow('iam:Put*Policy')),
      doc(allow(['iam:PutGroupPolicy', 'iam:PutRolePolicy', 'iam:PutUserPolicy'])),
    ],
    [
      'NotAction rewritten as the same NotAction list in another order',
      doc({ Effect: 'Allow', NotAction: ['iam:*', 's3:*'], Resource: '*' }),
      doc({ Effect: 'Allow', NotAction: ['s3:*', 'iam:*'], Resource: '*' }),
    ],
    [
      'a Deny that only repeats the absence of an Allow',
      doc(allow('s3:GetObject')),
      doc(allow('s3:GetObject'), { Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }),
    ],
  ])('finds no change in %s', (_label, before, after) => {
    expect(sameAccess(diffPolicies(before, after))).toBe(true);
  });

  it.each([
    // NotAction s3:* allowed everything but S3; NotAction s3:GetObject allows S3 too: broader, not narrower.
    [
      'NotAction s3:* → NotAction s3:GetObject',
      { Effect: 'Allow', NotAction: 's3:*', Resource: '*' },
      { Effect: 'Allow', NotAction: 's3:GetObject', Resource: '*' },
      true,
      false,
    ],
    [
      'NotResource on one bucket → on two',
      { Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::a/*' },
      { Effect: 'Allow', Action: 's3:GetObject', NotResource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'] },
      false,
      true,
    ],
    [
      'Resource one bucket → every bucket',
      allow('s3:GetObject', 'arn:aws:s3:::a/*'),
      allow('s3:GetObject', 'arn:aws:s3:::*'),
      true,
      false,
    ],
  ])('judges %s by what it allows', (_label, before, after, broadened, narrowed) => {
    const diff = diffPolicies(doc(before), doc(after));
    expect([diff.broadened, diff.narrowed]).toEqual([broadened, narrowed]);
  });

  it('names the actions gained and lost', () => {
    const text = describeDiff(
      diffPolicies(doc(allow('s3:GetObject', 'arn:aws:s3:::a/*')), doc(allow('s3:PutObject', 'arn:aws:s3:::a/*'))),
    );
    expect(text).toBe('access broadened and narrowed; gained: s3:PutObject; lost: s3:GetObject');
  });

  it('names a whole service once when all its actions are gained', () => {
    const diff = diffPolicies(
      doc(allow('ec2:DescribeTags')),
      doc(allow('ec2:DescribeTags'), allow(['s3:*', 'sts:GetCallerIdentity'])),
    );
    expect(diff.gained[0]).toMatch(/^s3:\* \(all \d+ actions\)$/);
    expect(diff.gained.slice(1)).toEqual(['sts:GetCallerIdentity']);
  });

  it('tells a rewritten condition from a change of access', () => {
    const before = doc(
      allow('iam:PassRole', '*', { Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } }),
    );
    const after = doc(
      allow('iam:PassRole', '*', { Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } }),
    );
    const diff = diffPolicies(before, after);
    expect([diff.broadened, diff.narrowed, diff.changed]).toEqual([false, false, ['iam:PassRole']]);
    expect(describeDiff(diff)).toBe('same actions, different conditions; conditions changed: iam:PassRole');
  });
});

describe('diffTrustPolicies', () => {
  const trust = (...statements: Record<string, unknown>[]) => doc(...statements);
  const batch = { Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' };

  it('finds no change in a principal list split into statements', () => {
    const merged = trust({
      Effect: 'Allow',
      Principal: { Service: ['batch.amazonaws.com', 'ecs-tasks.amazonaws.com'] },
      Action: 'sts:AssumeRole',
    });
    const split = trust(batch, {
      Effect: 'Allow',
      Principal: { Service: 'ecs-tasks.amazonaws.com' },
      Action: 'sts:AssumeRole',
    });
    expect(sameAccess(diffTrustPolicies(merged, split))).toBe(true);
  });

  it('names a principal gained', () => {
    const diff = diffTrustPolicies(
      trust(batch),
      trust(batch, { Effect: 'Allow', Principal: { AWS: '210987654321' }, Action: 'sts:AssumeRole' }),
    );
    expect(diff.broadened).toBe(true);
    expect(diff.gained).toEqual(['AWS:210987654321 may sts:AssumeRole']);
  });
});
