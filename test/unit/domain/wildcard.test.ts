import { describe, expect, it } from 'vitest';
import { arnMatch, LITERAL_STAR, wildcardMatch } from '../../../src/domain/wildcard.js';

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
    [`a${LITERAL_STAR}`, 'a*', false, true],
    [`a${LITERAL_STAR}`, 'ab', false, false],
  ])('%s against %s (ignore case %s) is %s', (pattern, value, ignoreCase, expected) => {
    expect(wildcardMatch(pattern, value, ignoreCase)).toBe(expected);
  });
});

describe('arnMatch (ArnLike/ArnEquals)', () => {
  it.each([
    ['arn:aws:iam::*:role/*', 'arn:aws:iam::123456789012:role/x', true],
    // Wildcards do not cross the colons of the first five parts.
    ['arn:aws:s3:*', 'arn:aws:s3:::bucket/key', false],
    ['arn:aws:s3:::*', 'arn:aws:s3:::bucket/key', true],
    ['arn:aws:batch:*:123456789012:*', 'arn:aws:batch:us-east-1:123456789012:compute-environment/a', true],
    ['arn:aws:batch:*:123456789012:*', 'arn:aws-cn:batch:cn-north-1:123456789012:compute-environment/a', false],
    ['arn:aws:iam::123456789012:role/X', 'arn:aws:iam::123456789012:role/x', false],
    ['*', 'anything', true],
    ['arn:aws:iam::1:role/x', 'not-an-arn', false],
  ])('%s matches %s: %s', (pattern, value, expected) => {
    expect(arnMatch(pattern, value)).toBe(expected);
  });
});
