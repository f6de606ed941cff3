import type { Finding } from '../domain/finding.js';
import type { LifecycleChange } from '../domain/lifecycle.js';
import type { Severity } from '../domain/model.js';
import type { AsffFinding } from '../ports.js';

/** Security Hub's severity labels for ours. */
export const ASFF_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  info: 'INFORMATIONAL',
};

/** The changes Security Hub hears about; an unchanged finding is not imported again. */
const IMPORTED_KINDS = new Set(['new', 'reopened', 'severity-up', 'severity-down', 'resolved', 'waived']);

const RESOURCE_TYPE: Readonly<Record<string, string>> = {
  role: 'AwsIamRole',
  'compute-environment': 'AwsBatchComputeEnvironment',
  'job-definition': 'AwsBatchJobDefinition',
};

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Where the findings go: the account and region of the hub, and the tool's version. */
export interface AsffContext {
  readonly account: string;
  readonly partition: string;
  readonly region: string;
  readonly version: string;
  readonly now: Date;
}

/** The Security Hub id of a finding: stable across runs, so a re-import updates it. */
export const asffId = (account: string, findingId: string): string => `batch-iam-drift/${account}/${findingId}`;

/**
 * Which changes to import: every status or severity change, and open findings Security Hub has never
 * received (`securityHubAt` unset, e.g. the first run after `SECURITY_HUB=true`).
 */
export const changesToImport = (changes: readonly LifecycleChange[]): LifecycleChange[] =>
  changes.filter(
    (c) => IMPORTED_KINDS.has(c.kind) || (c.kind === 'ongoing' && c.state.status === 'open' && !c.state.securityHubAt),
  );

/**
 * One finding in the AWS Security Finding Format. New and open findings are `ACTIVE` and `FAILED`
 * (workflow `NEW` when first imported); resolved ones `ARCHIVED` and `PASSED`; waived ones `ARCHIVED`
 * with the waiver in the product fields. Text fields are cut to the format's limits.
 */
export const toAsff = (change: LifecycleChange, finding: Finding | undefined, context: AsffContext): AsffFinding => {
  const { state } = change;
  const active = state.status === 'open';
  const description = finding
    ? `Expected: ${finding.expected}. Actual: ${finding.actual}.`
    : change.kind === 'resolved'
      ? `Resolved: a complete audit on ${state.statusChangedAt} no longer found this drift.`
      : `Status ${state.status}.`;
  const region = state.resource.arn.split(':')[3] || context.region;
  return {
    SchemaVersion: '2018-10-08',
    Id: asffId(context.account, state.id),
    ProductArn: `arn:${context.partition}:securityhub:${context.region}:${context.account}:product/${context.account}/default`,
    ProductName: 'batch-iam-drift',
    CompanyName: 'batch-iam-drift',
    GeneratorId: `batch-iam-drift/${state.rule}`,
    AwsAccountId: context.account,
    Types: ['Software and Configuration Checks/AWS Security Best Practices'],
    FirstObservedAt: state.firstSeen,
    LastObservedAt: state.lastSeen,
    CreatedAt: state.firstSeen,
    UpdatedAt: context.now.toISOString(),
    Severity: { Label: ASFF_SEVERITY[state.severity] },
    Title: clip(state.title, 256),
    Description: clip(description, 1024),
    ...(finding ? { Remediation: { Recommendation: { Text: clip(finding.remediation, 512) } } } : {}),
    ProductFields: {
      ProviderName: 'batch-iam-drift',
      ProviderVersion: context.version,
      'batch-iam-drift/Rule': state.rule,
      'batch-iam-drift/Status': state.status,
      'batch-iam-drift/FindingId': state.id,
      ...(state.waiverExpires ? { 'batch-iam-drift/WaiverExpires': state.waiverExpires } : {}),
    },
    Resources: [
      {
        Type: RESOURCE_TYPE[state.resource.type] ?? 'Other',
        Id: state.resource.arn,
        Partition: context.partition,
        Region: region,
      },
    ],
    Compliance: { Status: active ? 'FAILED' : 'PASSED' },
    ...(change.kind === 'new' ? { Workflow: { Status: 'NEW' } } : {}),
    RecordState: active ? 'ACTIVE' : 'ARCHIVED',
  };
};
