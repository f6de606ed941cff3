import { describe, expect, it } from 'vitest';
import { buildAlert, EMAIL_WIDTH } from '../../../src/render/alert.js';
import { splitCommand } from '../../../src/render/text.js';
import { findingOf, reportOf } from '../../support/report.js';

const TRUST_FIX =
  'Remove AWS:210987654321 from the trust policy: aws iam update-assume-role-policy --role-name etl-batch-service --policy-document \'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}]}\'';

const report = reportOf([
  {
    ...findingOf(
      1,
      'critical',
      'service-role etl-batch-service trusts AWS:210987654321, another account, which may then act as AWS Batch in this account',
    ),
    resource: {
      type: 'role',
      arn: 'arn:aws:iam::123456789012:role/teams/etl/a-rather-long-path/etl-batch-service-with-a-long-name',
      name: 'etl-batch-service',
    },
    expected:
      'only batch.amazonaws.com may assume the role, with aws:SourceAccount and aws:SourceArn conditions naming this account',
    remediation: TRUST_FIX,
  },
  {
    ...findingOf(2, 'high'),
    remediation:
      'Restore the recorded trust policy (aws iam update-assume-role-policy --role-name ecsInstanceRole --policy-document file://trust.json), or capture the new one into the baseline if the change is intended',
  },
  {
    ...findingOf(3, 'medium'),
    remediation: 'Review the new version (aws iam get-policy-version), then capture the baseline again',
  },
]);

const email = (): string => JSON.parse(buildAlert(report, { minSeverity: 'info' }).message).email;

/** A line that may run past the width: a command, or one word too long for any line. */
const unbreakable = (line: string): boolean => {
  const text = line.trim();
  return /^\(?(aws |for r in )/.test(text) || !/\s/.test(text.replace(/^[a-z ]+:\s+/, ''));
};

describe('the email body', () => {
  it(`keeps every line within ${EMAIL_WIDTH} columns, except a command or a single word longer than a line`, () => {
    const lines = email().split('\n');
    const over = lines.filter((line) => line.length > EMAIL_WIDTH);
    expect(over.length).toBeGreaterThan(0);
    expect(over.every(unbreakable)).toBe(true);
  });

  it('puts a command that does not fit on a line of its own, whole', () => {
    const lines = email().split('\n');
    const command = TRUST_FIX.slice(TRUST_FIX.indexOf('aws iam'));
    expect(lines).toContain(`               ${command}`);
    expect(lines).toContain('    fix:       Remove AWS:210987654321 from the trust policy:');
    expect(lines).toContain(
      '               (aws iam update-assume-role-policy --role-name ecsInstanceRole --policy-document file://trust.json),',
    );
  });

  it("aligns continuation lines under the text, and names each finding's regions", () => {
    const text = email();
    expect(text).toContain(
      '    expected:  only batch.amazonaws.com may assume the role, with\n               aws:SourceAccount and aws:SourceArn conditions naming this\n               account',
    );
    expect(text).toContain('    regions:   us-east-1');
    expect(text).toMatch(/id: the finding's fingerprint/);
  });
});

describe('splitCommand', () => {
  it.each([
    [
      'aws iam attach-role-policy --role-name r --policy-arn p',
      { before: '', command: 'aws iam attach-role-policy --role-name r --policy-arn p', after: '' },
    ],
    [
      'aws iam attach-role-policy --role-name r --policy-arn p, or allow those actions on those resources',
      {
        before: '',
        command: 'aws iam attach-role-policy --role-name r --policy-arn p',
        after: ', or allow those actions on those resources',
      },
    ],
    [
      'Review the new version (aws iam get-policy-version), then capture the baseline again',
      {
        before: 'Review the new version (',
        command: 'aws iam get-policy-version',
        after: '), then capture the baseline again',
      },
    ],
    [
      'Capture the baseline again to record the new version',
      { before: 'Capture the baseline again to record the new version', after: '' },
    ],
  ])('splits %j', (text, expected) => {
    expect(splitCommand(text)).toEqual(expected);
  });
});
