import { createHash } from 'node:crypto';
import { type RoleKind, type Severity, severityRank } from './model.js';
import type { Dependent } from './references.js';

/** Stable rule identifiers: alerts, filter policies and waivers key on these. Documented in docs/rules.md. */
export const RULE_IDS = [
  'role-missing',
  'instance-profile-missing',
  'instance-profile-role-mismatch',
  'trust-service-missing',
  'trust-principal-unexpected',
  'trust-confused-deputy',
  'managed-policy-missing',
  'managed-policy-unexpected',
  'inline-policy-unexpected',
  'dangerous-permission',
  'deprecated-managed-policy',
  'compute-environment-invalid',
  'trust-policy-changed',
  'policy-document-changed',
  'inline-policy-missing',
  'permissions-boundary-changed',
  'waiver-expired',
  'job-definition-execution-role-missing',
  'execution-role-secrets-wildcard',
  'role-used-as-job-and-execution',
  'eventbridge-role-cannot-submit',
  'service-linked-role-impostor',
  'eks-service-role-not-slr',
  'service-role-not-slr',
  'service-role-name-without-path',
  'spot-service-linked-role-missing',
  'instance-role-wrong-orchestration',
  'aws-managed-policy-version-changed',
  'role-recreated',
  'privilege-escalation',
  'credentials-exposure',
  'data-access',
  'permissions-management',
  'spot-fleet-role-missing',
  'role-reference-unresolved',
  'job-definition-revision-stale',
] as const;

/** One of {@link RULE_IDS}. */
export type RuleId = (typeof RULE_IDS)[number];

/** The IAM or Batch resource a finding is about. */
export interface FindingResource {
  readonly type: 'role' | 'instance-profile' | 'compute-environment' | 'job-definition' | 'waiver';
  readonly arn: string;
  readonly name: string;
}

/** One drift, reported once however many compute environments share the resource. */
export interface Finding {
  /** Fingerprint of rule, resource, role kind and subject: stable across runs. */
  readonly id: string;
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly title: string;
  readonly resource: FindingResource;
  readonly roleKind: RoleKind | null;
  /** What the finding is about within the resource: a policy ARN, inline policy name or principal; empty when the resource itself. */
  readonly subject: string;
  /** The blast radius, each list sorted: every compute environment, job queue, job definition and EventBridge rule that depends on the resource. */
  readonly computeEnvironments: readonly string[];
  readonly jobQueues: readonly string[];
  readonly jobDefinitions: readonly string[];
  readonly eventRules: readonly string[];
  /** Ids of other findings that explain this one (an INVALID compute environment's likely causes). */
  readonly related: readonly string[];
  readonly expected: string;
  readonly actual: string;
  /** How to fix it; an AWS CLI command where one exists. */
  readonly remediation: string;
  /** With a state table: `new` when first seen (or seen again after it was resolved) this run, else `ongoing`. */
  readonly status?: 'new' | 'ongoing';
  /** With a state table: when a run first saw it (ISO 8601). */
  readonly firstSeen?: string;
}

/** A finding before its id is computed and its dependents merged and sorted into the blast radius. */
export type FindingDraft = Omit<
  Finding,
  'id' | 'computeEnvironments' | 'jobQueues' | 'jobDefinitions' | 'eventRules' | 'related' | 'status' | 'firstSeen'
> & {
  readonly dependents: Iterable<Dependent>;
  readonly related?: readonly string[];
};

/** The stable id of a finding: the same drift on the same resource gets the same id on every run. */
export const fingerprint = (draft: Pick<FindingDraft, 'rule' | 'resource' | 'roleKind' | 'subject'>): string =>
  createHash('sha256')
    .update([draft.rule, draft.resource.arn, draft.roleKind ?? '', draft.subject].join('\n'))
    .digest('hex')
    .slice(0, 16);

/** Report order: severity, then rule, then resource name, then subject. */
export const byReportOrder = (a: Finding, b: Finding): number =>
  severityRank(a.severity) - severityRank(b.severity) ||
  a.rule.localeCompare(b.rule) ||
  a.resource.name.localeCompare(b.resource.name) ||
  a.subject.localeCompare(b.subject);

/**
 * Turns drafts into findings: one per fingerprint, with the union of their dependents as the blast
 * radius (job queues found through `queuesOf`), sorted by severity, then rule, then resource name.
 */
export const mergeFindings = (
  drafts: Iterable<FindingDraft>,
  queuesOf: (dependent: Dependent) => readonly string[] = () => [],
): Finding[] => {
  const byId = new Map<string, { draft: FindingDraft; dependents: Map<string, Dependent> }>();
  for (const draft of drafts) {
    const id = fingerprint(draft);
    const entry = byId.get(id) ?? { draft, dependents: new Map<string, Dependent>() };
    for (const dependent of draft.dependents) entry.dependents.set(`${dependent.type}|${dependent.arn}`, dependent);
    byId.set(id, entry);
  }
  return [...byId.entries()]
    .map(([id, { draft, dependents }]): Finding => {
      const { dependents: _ignored, related, ...rest } = draft;
      const all = [...dependents.values()];
      const of = (type: Dependent['type']) =>
        all
          .filter((d) => d.type === type)
          .map((d) => d.arn)
          .sort();
      return {
        ...rest,
        id,
        computeEnvironments: of('compute-environment'),
        jobQueues: [...new Set(all.flatMap(queuesOf))].sort(),
        jobDefinitions: of('job-definition'),
        eventRules: of('event-rule'),
        related: related ?? [],
      };
    })
    .sort(byReportOrder);
};
