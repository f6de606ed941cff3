import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/domain/finding.js';
import { renderText, terminalSafe } from '../../../src/render/text.js';
import { findingOf, reportOf } from '../../support/report.js';

const finding = (severity: Finding['severity'], title: string): Finding => findingOf(1, severity, title);
const report = (findings: Finding[]) => reportOf(findings);

describe('renderText', () => {
  it('groups findings by severity, most severe first', () => {
    const text = renderText(report([finding('critical', 'first'), finding('high', 'second')]));
    expect(text.indexOf('CRITICAL (1)')).toBeLessThan(text.indexOf('HIGH (1)'));
    expect(text).toMatch(/1 critical, 1 high/);
    expect(text).toMatch(/affects: {3}ce-1/);
  });

  it('counts in words that agree with the numbers', () => {
    const one = reportOf([finding('high', 'only')], {
      summary: {
        computeEnvironments: 1,
        roles: 1,
        findings: 1,
        bySeverity: { critical: 0, high: 1, medium: 0, low: 0, info: 0 },
        waived: 0,
      },
    });
    expect(renderText(one)).toContain('1 compute environment, 1 role audited, 1 finding: 1 high');
  });

  it('says what a role reaches when no compute environment uses it', () => {
    const jobRole = {
      ...finding('high', 'job role'),
      computeEnvironments: [],
      jobDefinitions: ['arn:aws:batch:us-east-1:123456789012:job-definition/etl:3'],
    };
    const text = renderText(report([jobRole]));
    expect(text).toMatch(
      /affects: {3}no compute environment directly; used by the job definitions and rules below\n {4}job defs: {2}etl:3/,
    );
    expect(renderText(report([{ ...jobRole, jobDefinitions: [] }]))).toMatch(
      /affects: {3}no compute environment in the audited regions/,
    );
  });

  it('says no drift only for a complete, clean audit', () => {
    expect(renderText(report([]))).toMatch(/No drift found\./);
  });

  it('says "nothing audited", never "no drift", when no compute environment was found', () => {
    const empty = reportOf([], { warnings: [{ code: 'NothingAudited', message: 'nothing audited' }] });
    const text = renderText(empty);
    expect(text).toMatch(/Nothing audited: no compute environment in us-east-1\./);
    expect(text).not.toMatch(/No drift found/);
  });

  it('strips terminal control sequences from account-supplied text', () => {
    const text = renderText(report([finding('low', 'role \u001b[2Jevil\u0007')]));
    expect(text).not.toContain('\u001b');
    expect(text).toContain('role ?[2Jevil?');
    expect(terminalSafe('a\nb')).toBe('a\nb');
  });

  it('names the blast radius beyond compute environments when there is one', () => {
    const text = renderText(
      report([
        {
          ...finding('high', 'events role cannot submit'),
          jobQueues: ['arn:aws:batch:us-east-1:123456789012:job-queue/nightly'],
          jobDefinitions: ['arn:aws:batch:us-east-1:123456789012:job-definition/etl:3'],
          eventRules: ['arn:aws:events:us-east-1:123456789012:rule/nightly-etl'],
        },
      ]),
    );
    expect(text).toMatch(/ {4}queues: {4}nightly\n {4}job defs: {2}etl:3\n {4}rules: {5}nightly-etl\n/);
  });
});
