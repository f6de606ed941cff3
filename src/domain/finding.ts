import { createHash } from 'node:crypto';
import { type RoleKind, type Severity, severityRank } from './model.js';

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
] as const;

/** One of {@link RULE_IDS}. */
export type RuleId = (typeof RULE_IDS)[number];

/** The IAM or Batch resource a finding is about. */
export interface FindingResource {
  readonly type: 'role' | 'instance-profile' | 'compute-environment' | 'waiver';
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
  /** Every compute environment that depends on the resource, sorted. */
  readonly computeEnvironments: readonly string[];
  readonly expected: string;
  readonly actual: string;
  /** How to fix it; an AWS CLI command where one exists. */
  readonly remediation: string;
}

/** A finding before its id is computed and its compute environments merged. */
export type FindingDraft = Omit<Finding, 'id' | 'computeEnvironments'> & {
  readonly computeEnvironments: Iterable<string>;
};

/** The stable id of a finding: the same drift on the same resource gets the same id on every run. */
export const fingerprint = (draft: Pick<FindingDraft, 'rule' | 'resource' | 'roleKind' | 'subject'>): string =>
  createHash('sha256')
    .update([draft.rule, draft.resource.arn, draft.roleKind ?? '', draft.subject].join('\n'))
    .digest('hex')
    .slice(0, 16);

/**
 * Turns drafts into findings: one per fingerprint, with the union of their compute environments,
 * sorted by severity, then rule, then resource name.
 */
export const mergeFindings = (drafts: Iterable<FindingDraft>): Finding[] => {
  const byId = new Map<string, { draft: FindingDraft; ces: Set<string> }>();
  for (const draft of drafts) {
    const id = fingerprint(draft);
    const entry = byId.get(id);
    if (entry) {
      for (const ce of draft.computeEnvironments) entry.ces.add(ce);
    } else {
      byId.set(id, { draft, ces: new Set(draft.computeEnvironments) });
    }
  }
  return [...byId.entries()]
    .map(([id, { draft, ces }]) => ({ ...draft, id, computeEnvironments: [...ces].sort() }))
    .sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        a.rule.localeCompare(b.rule) ||
        a.resource.name.localeCompare(b.resource.name) ||
        a.subject.localeCompare(b.subject),
    );
};
