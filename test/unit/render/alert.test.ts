import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/domain/finding.js';
import { alertBytes, asciiSubject, buildAlert, SNS_MAX_BYTES, slackEscape } from '../../../src/render/alert.js';
import { findingOf, reportOf } from '../../support/report.js';
import { reportSchemaErrors } from '../../support/schema.js';

const finding = findingOf;

const parts = (message: string) =>
  JSON.parse(message) as Record<'default' | 'email' | 'sqs' | 'lambda' | 'https', string>;

describe('buildAlert', () => {
  it('serves people and machines from one message', () => {
    // Prepare
    const report = reportOf([finding(1, 'critical'), finding(2, 'high'), finding(3, 'low')]);
    // Act
    const alert = buildAlert(report, { minSeverity: 'medium' });
    // Assess
    const m = parts(alert.message);
    expect(alert.subject).toBe('[batch-iam-drift] 1 critical, 1 high in 123456789012');
    expect(m.email).toBe(m.default);
    expect(m.email).toMatch(/CRITICAL \(1\)[\s\S]*HIGH \(1\)/);
    expect(m.email).toMatch(/1 finding below medium is listed in the JSON report only/);
    expect(m.email).not.toMatch(/LOW \(1\)/);
    expect(JSON.parse(m.sqs)).toEqual(report);
    expect(m.lambda).toBe(m.sqs);
    const slack = JSON.parse(m.https);
    expect(slack).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(slack.content.description).toMatch(/^\*CRITICAL\* `managed-policy-unexpected` finding 1/);
    expect(slack.content.nextSteps[0]).toMatch(/^`aws iam detach-role-policy --role-name role-1 .*`$/);
    expect(alert.attributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      findingCount: { DataType: 'Number', StringValue: '3' },
      account: { DataType: 'String', StringValue: '123456789012' },
      complete: { DataType: 'String', StringValue: 'true' },
      rules: { DataType: 'String.Array', StringValue: '["managed-policy-unexpected"]' },
    });
  });

  it('says "NOTHING AUDITED" in the subject when no compute environment was found', () => {
    const empty = reportOf([], { warnings: [{ code: 'NothingAudited', message: 'nothing audited' }] });
    expect(buildAlert(empty, { minSeverity: 'medium' }).subject).toBe(
      '[batch-iam-drift] NOTHING AUDITED in 123456789012: no compute environment in us-east-1',
    );
  });

  it('says "no drift" and "INCOMPLETE" in the subject when they apply', () => {
    expect(buildAlert(reportOf([]), { minSeverity: 'medium' }).subject).toBe(
      '[batch-iam-drift] no drift in 123456789012',
    );
    const incomplete = reportOf([], {
      complete: false,
      errors: [
        { operation: 'iam:GetRole', resource: { type: 'role', name: 'r' }, code: 'AccessDenied', message: 'no' },
      ],
    });
    const alert = buildAlert(incomplete, { minSeverity: 'medium' });
    expect(alert.subject).toBe('[batch-iam-drift] INCOMPLETE in 123456789012: 1 unread (iam:GetRole AccessDenied)');
    expect(parts(alert.message).email).toMatch(/AUDIT INCOMPLETE/);
    expect(JSON.parse(parts(alert.message).https).content.description).toMatch(
      /Could not read 1 item:\* iam:GetRole r/,
    );
  });

  it('keeps the most severe findings and says how many were left out when the report exceeds 256 KB', () => {
    // Prepare
    const many = Array.from({ length: 3000 }, (_, i) =>
      finding(i, i < 5 ? 'critical' : i < 1000 ? 'high' : 'low', `finding ${i} ${'x'.repeat(80)}`),
    );
    // Act
    const alert = buildAlert(reportOf(many), { minSeverity: 'low' });
    // Assess
    expect(alertBytes(alert)).toBeLessThanOrEqual(SNS_MAX_BYTES);
    expect(alert.omittedFindings).toBeGreaterThan(0);
    const report = JSON.parse(parts(alert.message).sqs);
    expect(report.omittedFindings).toBe(alert.omittedFindings);
    expect(report.findings.length + alert.omittedFindings).toBe(3000);
    expect(report.findings.slice(0, 5).every((f: Finding) => f.severity === 'critical')).toBe(true);
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(parts(alert.message).email).toMatch(/least severe findings were left out to fit the SNS message limit/);
    expect(alert.attributes.findingCount?.StringValue).toBe('3000');
  });

  it('trims read errors too when even no finding fits', () => {
    const errors = Array.from({ length: 2000 }, (_, i) => ({
      operation: 'iam:GetRole',
      resource: { type: 'role' as const, name: `role-${i}` },
      code: 'AccessDenied',
      message: `User is not authorized to perform iam:GetRole on role-${i} ${'y'.repeat(100)}`,
    }));
    const alert = buildAlert(reportOf([], { complete: false, errors }), { minSeverity: 'medium' });
    expect(alertBytes(alert)).toBeLessThanOrEqual(SNS_MAX_BYTES);
    expect(JSON.parse(parts(alert.message).sqs).omittedErrors).toBeGreaterThan(0);
  });

  it('leaves waived findings out first: 150 waived and 1 critical publishes an alert naming the critical', () => {
    // Prepare
    const waived = Array.from({ length: 150 }, (_, i) => ({
      ...finding(i + 10, 'high', `waived ${i} ${'w'.repeat(1800)}`),
      waiver: { reason: 'r'.repeat(200), owner: 'team', expires: '2099-01-01' },
    }));
    const report = reportOf([finding(1, 'critical', 'the critical one')], {
      waived,
      summary: { ...reportOf([finding(1, 'critical')]).summary, waived: 150 },
    });
    // Act
    const alert = buildAlert(report, { minSeverity: 'medium' });
    // Assess
    expect(alertBytes(alert)).toBeLessThanOrEqual(SNS_MAX_BYTES);
    const json = JSON.parse(parts(alert.message).sqs);
    expect(json.findings.map((f: Finding) => f.title)).toEqual(['the critical one']);
    expect(json.omittedWaived).toBeGreaterThan(0);
    expect(json.waived.length + json.omittedWaived).toBe(150);
    expect(json.omittedFindings).toBeUndefined();
    expect(reportSchemaErrors(json)).toEqual([]);
    expect(parts(alert.message).email).toMatch(/CRITICAL \(1\)\n {2}\[managed-policy-unexpected\] the critical one/);
    expect(parts(alert.message).email).toMatch(
      /waived findings were left out to fit the SNS\s+message\s+limit:\s+\d+\s+more\s+in\s+the\s+report/,
    );
    expect(alert.subject).toBe('[batch-iam-drift] 1 critical in 123456789012');
  });

  it('publishes the summary alone, within the limit, when not even the summary fits', () => {
    // Prepare
    const report = reportOf([finding(1, 'critical', 'the critical one'), finding(2, 'high')]);
    // Act
    const alert = buildAlert(report, { minSeverity: 'medium', maxBytes: 2000 });
    // Assess
    expect(alertBytes(alert)).toBeLessThanOrEqual(2000);
    expect(parts(alert.message).email).toMatch(/^\[batch-iam-drift\] 1 critical, 1 high in 123456789012/);
    expect(parts(alert.message).email).toMatch(/Most severe: CRITICAL managed-policy-unexpected the critical one/);
    expect(JSON.parse(parts(alert.message).sqs)).toMatchObject({ summaryOnly: true, complete: true });
    expect(alert.attributes.severity?.StringValue).toBe('critical');
  });

  it('escapes untrusted text in the Slack payload and keeps its description within Slack limits', () => {
    const hostile = finding(1, 'critical', 'role <!channel> *pwned* `x` [link](http://evil)\u0007');
    const withCommand = { ...hostile, remediation: 'aws iam x --role-name `rm` <!here>' };
    const many = [withCommand, ...Array.from({ length: 40 }, (_, i) => finding(i + 2, 'high', 'y'.repeat(500)))];
    const slack = JSON.parse(parts(buildAlert(reportOf(many), { minSeverity: 'medium' }).message).https);
    expect(slack.content.description).toContain(
      'role &lt;!channel&gt; \u200b*pwned\u200b* \u200b`x\u200b` [link](http://evil)',
    );
    // Slack shows a backslash as typed: none is added.
    expect(slack.content.description).not.toContain('\\');
    expect(slack.content.description).not.toContain('\u0007');
    expect(slack.content.description.length).toBeLessThanOrEqual(3000);
    expect(slack.content.nextSteps.length).toBeLessThanOrEqual(5);
    expect(slack.content.nextSteps[0]).toBe("`aws iam x --role-name 'rm' &lt;!here&gt;`");
    const prose = {
      ...finding(2, 'critical', 'z'),
      remediation: 'Remove AWS:1 from the trust policy: aws iam update-assume-role-policy --role-name r',
    };
    const steps = JSON.parse(parts(buildAlert(reportOf([prose]), { minSeverity: 'medium' }).message).https).content
      .nextSteps;
    expect(steps).toEqual(['Remove AWS:1 from the trust policy: `aws iam update-assume-role-policy --role-name r`']);
  });
});

describe('asciiSubject', () => {
  it('keeps printable ASCII on one line under 100 characters', () => {
    const subject = asciiSubject(`[batch-iam-drift] r\u00f4le\nnext\u0000 ${'z'.repeat(200)}`);
    expect(subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    expect(subject.startsWith('[batch-iam-drift] r?le next?')).toBe(true);
  });
});

describe('slackEscape', () => {
  it.each([
    ['<@U123>', '&lt;@U123&gt;'],
    ['a & b', 'a &amp; b'],
    ['_under_ ~strike~', '\u200b_under\u200b_ \u200b~strike\u200b~'],
  ])('escapes %s', (input, output) => {
    expect(slackEscape(input)).toBe(output);
  });
});
