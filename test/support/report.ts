import type { Finding } from '../../src/domain/finding.js';
import { SEVERITIES, type Severity } from '../../src/domain/model.js';
import { countBySeverity, type Report } from '../../src/domain/report.js';

/** A managed-policy-unexpected finding on role-`i`, with one compute environment. */
export const findingOf = (i: number, severity: Severity, title = `finding ${i}`): Finding => ({
  id: i.toString(16).padStart(16, '0'),
  rule: 'managed-policy-unexpected',
  severity,
  title,
  resource: { type: 'role', arn: `arn:aws:iam::123456789012:role/role-${i}`, name: `role-${i}` },
  roleKind: 'instance-role',
  subject: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
  computeEnvironments: [`arn:aws:batch:us-east-1:123456789012:compute-environment/ce-${i}`],
  jobQueues: [],
  jobDefinitions: [],
  eventRules: [],
  related: [],
  expected: 'managed policies: AmazonEC2ContainerServiceforEC2Role',
  actual: 'arn:aws:iam::aws:policy/AmazonS3FullAccess is also attached',
  remediation: `aws iam detach-role-policy --role-name role-${i} --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess`,
});

/** A complete report holding `findings` (sorted most severe first), with overrides. */
export const reportOf = (findings: Finding[], extra: Partial<Report> = {}): Report => {
  const sorted = [...findings].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  return {
    schemaVersion: 1,
    tool: { name: 'batch-iam-drift', version: '0.1.0' },
    account: '123456789012',
    regions: ['us-east-1'],
    startedAt: '2026-11-29T03:00:00.000Z',
    finishedAt: '2026-11-29T03:00:05.000Z',
    complete: true,
    summary: {
      computeEnvironments: 3,
      roles: 2,
      findings: sorted.length,
      bySeverity: countBySeverity(sorted),
      waived: 0,
    },
    baseline: { source: 'built-in AWS defaults' },
    findings: sorted,
    waived: [],
    waiversExpiringSoon: [],
    errors: [],
    ...extra,
  };
};
