import { describe, expect, it } from 'vitest';
import { normalisePolicy } from '../../../src/domain/policy.js';
import { describeDiff, diffPolicies } from '../../../src/domain/policy-diff.js';

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

  it('names the permissions added and removed', () => {
    const text = describeDiff(
      diffPolicies(doc(allow('s3:GetObject', 'arn:aws:s3:::a/*')), doc(allow('s3:PutObject', 'arn:aws:s3:::a/*'))),
    );
    expect(text).toBe(
      'access broadened and narrowed; added: Allow s3:putobject on arn:aws:s3:::a/*; removed: Allow s3:getobject on arn:aws:s3:::a/*',
    );
  });
});
