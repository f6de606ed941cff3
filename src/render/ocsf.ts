import type { Finding } from '../domain/finding.js';
import { findingRegions } from '../domain/lifecycle.js';
import type { Severity } from '../domain/model.js';
import type { OrganizationReport, Report } from '../domain/report.js';

/** The OCSF version the findings follow (the Detection Finding class as Security Lake ingests it). */
export const OCSF_VERSION = '1.3.0';

/** OCSF severity ids: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
const SEVERITY_ID: Readonly<Record<Severity, number>> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
const SEVERITY_NAME: Readonly<Record<Severity, string>> = {
  info: 'Informational',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

/** OCSF resource types for ours (AWS's own names where they exist). */
const RESOURCE_TYPE: Readonly<Record<string, string>> = {
  role: 'AwsIamRole',
  'instance-profile': 'AwsIamInstanceProfile',
  'compute-environment': 'AwsBatchComputeEnvironment',
  'job-definition': 'AwsBatchJobDefinition',
  waiver: 'Other',
};

/** One OCSF Detection Finding (class 2004), shaped as Prowler's `json-ocsf` writes them. */
export const toOcsf = (report: Report, finding: Finding): Record<string, unknown> => {
  const time = Date.parse(report.finishedAt);
  const regions = findingRegions(finding);
  const partition = finding.resource.arn.split(':')[1] || 'aws';
  return {
    metadata: {
      event_code: finding.rule,
      product: {
        name: 'batch-iam-drift',
        vendor_name: 'batch-iam-drift',
        uid: 'batch-iam-drift',
        version: report.tool.version,
      },
      profiles: ['cloud', 'datetime'],
      version: OCSF_VERSION,
    },
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2004,
    class_name: 'Detection Finding',
    activity_id: 1,
    activity_name: 'Create',
    type_uid: 200401,
    type_name: 'Detection Finding: Create',
    severity_id: SEVERITY_ID[finding.severity],
    severity: SEVERITY_NAME[finding.severity],
    status_id: 1,
    status: 'New',
    ...(finding.status ? { status_detail: finding.status } : {}),
    time,
    time_dt: report.finishedAt,
    message: finding.title,
    finding_info: {
      uid: `batch-iam-drift-${report.account}-${finding.id}`,
      title: finding.title,
      desc: `Expected: ${finding.expected}. Actual: ${finding.actual}.`,
      types: [finding.rule],
      created_time: time,
      created_time_dt: report.finishedAt,
      ...(finding.firstSeen
        ? { first_seen_time: Date.parse(finding.firstSeen), first_seen_time_dt: finding.firstSeen }
        : {}),
      last_seen_time: time,
      last_seen_time_dt: report.finishedAt,
    },
    resources: [
      {
        uid: finding.resource.arn,
        name: finding.resource.name,
        type: RESOURCE_TYPE[finding.resource.type] ?? 'Other',
        cloud_partition: partition,
        region: regions[0] ?? 'global',
        data: {
          role_kind: finding.roleKind,
          subject: finding.subject,
          compute_environments: finding.computeEnvironments,
          job_queues: finding.jobQueues,
          job_definitions: finding.jobDefinitions,
          event_rules: finding.eventRules,
        },
      },
    ],
    cloud: {
      provider: 'AWS',
      account: { uid: report.account, type: 'AWS Account', type_id: 10 },
      region: regions[0] ?? 'global',
    },
    remediation: { desc: finding.remediation },
    unmapped: { regions, related: finding.related },
  };
};

/** Every finding of a report (or of every account of an organisation report) as an OCSF array. */
export const renderOcsf = (report: Report | OrganizationReport): Record<string, unknown>[] =>
  ('kind' in report ? report.accounts : [report]).flatMap((r) => r.findings.map((f) => toOcsf(r, f)));
