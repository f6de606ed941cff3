import { describe, expect, it } from 'vitest';
import { createS3Client } from '../../../src/aws/clients.js';
import { awsErrorCode, cleanMessage, toAuditError } from '../../../src/aws/errors.js';

describe('report errors', () => {
  it.each([
    ['an AWS error name', Object.assign(new Error('denied'), { name: 'AccessDenied' }), 'AccessDenied'],
    ['a query-protocol Code', Object.assign(new Error('x'), { Code: 'Throttling' }), 'Throttling'],
    [
      'a network failure',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      'ECONNREFUSED',
    ],
    [
      'a network failure under a wrapper',
      new Error('socket hang up', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }),
      'ECONNRESET',
    ],
    [
      'an answer that could not be parsed',
      new Error('@aws-sdk XML parse error: expected >\n  Deserialization error: …'),
      'InvalidResponse',
    ],
    ['something else', new Error('odd'), 'UnknownError'],
  ])('names %s by a real code, never "Error"', (_label, error, code) => {
    expect(awsErrorCode(error)).toBe(code);
  });

  it('keeps one line of the message, without the SDK hints for developers', () => {
    expect(
      cleanMessage(
        '@aws-sdk XML parse error: expected > at the end of opening tag.\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
      ),
    ).toBe('@aws-sdk XML parse error: expected > at the end of opening tag.');
    expect(
      toAuditError(
        'iam:GetRole',
        { type: 'role', name: 'r' },
        Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { attempts: 8 } }),
      ),
    ).toEqual({
      operation: 'iam:GetRole',
      resource: { type: 'role', name: 'r' },
      code: 'Throttling',
      message: 'Rate exceeded (after 8 attempts)',
    });
  });

  it('reads the baseline from a bucket in another region by following S3 redirects', () => {
    expect(createS3Client('us-east-1').config.followRegionRedirects).toBe(true);
  });
});
