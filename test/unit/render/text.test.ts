import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/domain/finding.js';
import type { Report } from '../../../src/domain/report.js';
import { renderText, terminalSafe } from '../../../src/render/text.js';

const finding = (severity: Finding['severity'], title: string): Finding => ({
  id: '0123456789abcdef',
  rule: 'managed-policy-unexpected',
  severity,
  title,
  resource: { type: 'role', arn: 'arn:aws:iam::123456789012:role/r', name: 'r' },
  roleKind: 'instance-role',
  subject: 'arn:aws:iam::aws:policy/x',
  computeEnvironments: ['arn:aws:batch:us-east-1:123456789012:compute-environment/ce-1'],
  expected: 'e',
  actual: 'a',
  remediation: 'aws iam detach-role-policy --role-name r --policy-arn arn:aws:iam::aws:policy/x',
});

const report = (findings: Finding[]): Report => ({
  schemaVersion: 1,
  tool: { name: 'batch-iam-drift', version: '0.1.0' },
  account: '123456789012',
  regions: ['us-east-1'],
  startedAt: '2026-11-29T03:00:00.000Z',
  finishedAt: '2026-11-29T03:00:01.000Z',
  complete: true,
  summary: {
    computeEnvironments: 1,
    roles: 1,
    findings: findings.length,
    bySeverity: {
      critical: 0,
      high: 0,
      medium: 0,
      low: 0,
      info: 0,
      ...Object.fromEntries(findings.map((f) => [f.severity, 1])),
    },
  },
  findings,
  errors: [],
});

describe('renderText', () => {
  it('groups findings by severity, most severe first', () => {
    const text = renderText(report([finding('critical', 'first'), finding('high', 'second')]));
    expect(text.indexOf('CRITICAL (1)')).toBeLessThan(text.indexOf('HIGH (1)'));
    expect(text).toMatch(/1 critical, 1 high/);
    expect(text).toMatch(/affects: {3}ce-1/);
  });

  it('says no drift only for a complete, clean audit', () => {
    expect(renderText(report([]))).toMatch(/No drift found\./);
  });

  it('strips terminal control sequences from account-supplied text', () => {
    const text = renderText(report([finding('low', 'role \u001b[2Jevil\u0007')]));
    expect(text).not.toContain('\u001b');
    expect(text).toContain('role ?[2Jevil?');
    expect(terminalSafe('a\nb')).toBe('a\nb');
  });
});
