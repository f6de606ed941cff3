import type { Baseline } from '../baseline.js';
import type { Finding, FindingDraft, FindingResource } from '../finding.js';
import type { RoleKind } from '../model.js';
import { servicePrincipal } from '../partitions.js';
import type { Dependent, RoleUse } from '../references.js';
import { type RuleInput, trustDocument } from './context.js';

/** Instance profiles: missing, empty, or holding another role than the baseline pins. */
export function* profileRules(input: RuleInput): Generator<FindingDraft> {
  for (const [key, entry] of input.plan.instanceProfiles) {
    const read = input.snapshot.instanceProfiles.get(key);
    const arn = entry.arn ?? `arn:${input.partition}:iam::${input.account}:instance-profile/${entry.name}`;
    const dependents = entry.computeEnvironments.map((ce) => ({ type: 'compute-environment' as const, arn: ce.arn }));
    // A profile shared by ECS and EKS environments serves both kinds; the finding names the first.
    const kinds = [...new Set(entry.computeEnvironments.map((ce) => ce.kind))];
    const kind = kinds[0] ?? 'instance-role';
    const roleName = kinds.join(' and ');
    const base = { roleKind: kind, dependents, subject: '' };
    if (read?.status === 'missing') {
      yield {
        ...base,
        rule: 'instance-profile-missing',
        severity: 'high',
        title: `Instance profile ${entry.name} does not exist`,
        resource: { type: 'instance-profile', arn, name: entry.name },
        expected: `instance profile ${entry.name} exists and contains the ${roleName}`,
        actual: 'IAM answers NoSuchEntity',
        remediation: `aws iam create-instance-profile --instance-profile-name ${entry.name} && aws iam add-role-to-instance-profile --instance-profile-name ${entry.name} --role-name <role>`,
      };
      continue;
    }
    if (read?.status !== 'found') continue;
    const profile = read.value;
    const resource: FindingResource = { type: 'instance-profile', arn: profile.arn, name: profile.name };
    const pinned = input.baseline.instanceProfileRoles[profile.name];
    const actualRole = profile.roleNames[0];
    if (actualRole === undefined) {
      yield {
        ...base,
        rule: 'instance-profile-role-mismatch',
        severity: 'high',
        title: `Instance profile ${profile.name} contains no role`,
        resource,
        expected: `contains ${pinned ?? `the ${roleName}`}`,
        actual: 'no role: instances launched with it get no credentials and never join the cluster',
        remediation: `aws iam add-role-to-instance-profile --instance-profile-name ${profile.name} --role-name ${pinned ?? '<role>'}`,
      };
    } else if (pinned !== undefined && actualRole.toLowerCase() !== pinned.toLowerCase()) {
      yield {
        ...base,
        rule: 'instance-profile-role-mismatch',
        severity: 'high',
        title: `Instance profile ${profile.name} contains ${actualRole}, not ${pinned}`,
        resource,
        subject: actualRole,
        expected: `contains ${pinned}`,
        actual: `contains ${actualRole}`,
        remediation: `aws iam remove-role-from-instance-profile --instance-profile-name ${profile.name} --role-name ${actualRole} && aws iam add-role-to-instance-profile --instance-profile-name ${profile.name} --role-name ${pinned}`,
      };
    }
  }
}

/** The kind a missing role was referenced as (its path is unknown, so the service-linked role is recognised by name). */
const missingRoleKind = (use: RoleUse, name: string, baseline: Baseline): RoleKind =>
  use.kind !== 'service' ? use.kind : name === baseline.serviceLinkedRole.name ? 'service-linked-role' : 'service-role';

/** A referenced role that does not exist, once per role kind it is used as. */
export function* missingRoleRules(
  input: RuleInput,
  entry: { name: string; arn?: string; uses: RoleUse[] },
): Generator<FindingDraft> {
  const arn = entry.arn ?? `arn:${input.partition}:iam::${input.account}:role/${entry.name}`;
  const byKind = new Map<RoleKind, Dependent[]>();
  for (const use of entry.uses) {
    const kind = missingRoleKind(use, entry.name, input.baseline);
    byKind.set(kind, [...(byKind.get(kind) ?? []), use.dependent]);
  }
  for (const [kind, dependents] of byKind) {
    yield {
      rule: 'role-missing',
      severity: 'high',
      title: `${kind} ${entry.name} does not exist`,
      resource: { type: 'role', arn, name: entry.name },
      roleKind: kind,
      subject: '',
      dependents,
      expected: `role ${entry.name} exists (referenced as ${entry.uses[0]?.referencedAs ?? entry.name})`,
      actual: 'IAM answers NoSuchEntity',
      remediation:
        kind === 'service-linked-role'
          ? 'aws iam create-service-linked-role --aws-service-name batch.amazonaws.com'
          : `aws iam create-role --role-name ${entry.name} --assume-role-policy-document '${trustDocument(servicePrincipal(input.baseline.roleKinds[kind].trustedService, input.partition))}'`,
    };
  }
}

/** IAM-related reasons Batch gives when it marks a compute environment INVALID. */
const IAM_STATUS_REASON =
  /sts:AssumeRole|IamFleetRole|instance ?profile|not authorized|AccessDenied|UnauthorizedOperation|iam|service ?role|none of the (instances|nodes) joined/i;

/** Compute environments INVALID for an IAM reason, linked to the findings that likely caused it. */
export function* computeEnvironmentRules(input: RuleInput, causes: readonly Finding[]): Generator<FindingDraft> {
  for (const ce of input.computeEnvironments) {
    if (ce.status !== 'INVALID' || !ce.statusReason || !IAM_STATUS_REASON.test(ce.statusReason)) continue;
    const related = causes.filter(
      (f) => f.computeEnvironments.includes(ce.arn) && (f.severity === 'critical' || f.severity === 'high'),
    );
    yield {
      rule: 'compute-environment-invalid',
      severity: 'high',
      title: `Compute environment ${ce.name} is INVALID for an IAM reason`,
      resource: { type: 'compute-environment', arn: ce.arn, name: ce.name },
      roleKind: null,
      subject: '',
      dependents: [{ type: 'compute-environment', arn: ce.arn }],
      related: related.map((f) => f.id),
      expected: 'status VALID',
      actual: `INVALID: ${ce.statusReason}${related.length ? `; likely cause: ${related.map((f) => `[${f.rule}] ${f.title}`).join('; ')}` : ''}`,
      remediation: `Fix the IAM cause named in the reason${related.length ? ' (the related findings)' : ''}, then re-enable it: aws batch update-compute-environment --region ${ce.region} --compute-environment ${ce.name} --state ENABLED`,
    };
  }
}
