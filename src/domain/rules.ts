import {
  awsManagedPolicyKey,
  type Baseline,
  expectationFor,
  lastSegment,
  policyRefArn,
  policyRefMatches,
  type RoleExpectation,
} from './baseline.js';
import { type Finding, type FindingDraft, type FindingResource, mergeFindings } from './finding.js';
import type { ComputeEnvironment, IamSnapshot, RoleKind, RoleState, Severity } from './model.js';
import { dangerousGrants, isReadOnlyPolicy } from './permissions.js';
import { equivalentPolicies, type PolicyDocument } from './policy.js';
import { describeDiff, diffPolicies } from './policy-diff.js';
import type { ReferencePlan, RoleUse } from './references.js';
import { analyseTrust } from './trust.js';

/** Everything the rules look at. */
export interface RuleInput {
  readonly account: string;
  readonly partition: string;
  readonly baseline: Baseline;
  readonly computeEnvironments: readonly ComputeEnvironment[];
  readonly plan: ReferencePlan;
  readonly snapshot: IamSnapshot;
}

/** IAM-related reasons Batch gives when it marks a compute environment INVALID. */
const IAM_STATUS_REASON =
  /sts:AssumeRole|IamFleetRole|instance ?profile|not authorized|AccessDenied|UnauthorizedOperation|iam|service ?role|none of the (instances|nodes) joined/i;

const trustDocument = (service: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });

const roleResource = (role: RoleState): FindingResource => ({ type: 'role', arn: role.arn, name: role.name });

const MAX_SEVERITY = (severities: Severity[]): Severity =>
  (['critical', 'high', 'medium', 'low', 'info'] as const).find((s) => severities.includes(s)) ?? 'info';

/** The role kind a `serviceRole` reference resolves to: the service-linked role is recognised by its path, never its name. */
export const serviceRoleKind = (role: RoleState, baseline: Baseline): RoleKind =>
  role.path === baseline.serviceLinkedRole.path ? 'service-linked-role' : 'service-role';

const usesByKind = (role: RoleState, uses: readonly RoleUse[], baseline: Baseline): Map<RoleKind, string[]> => {
  const byKind = new Map<RoleKind, string[]>();
  for (const use of uses) {
    const kind = use.kind === 'service' ? serviceRoleKind(role, baseline) : use.kind;
    byKind.set(kind, [...(byKind.get(kind) ?? []), use.computeEnvironmentArn]);
  }
  return byKind;
};

/** Everything one rule family needs about one role used as one kind. */
interface RoleContext {
  readonly role: RoleState;
  readonly kind: RoleKind;
  readonly expected: RoleExpectation;
  readonly base: { resource: FindingResource; roleKind: RoleKind; computeEnvironments: string[] };
  readonly input: RuleInput;
}

function* trustRules({ role, kind, expected, base, input }: RoleContext): Generator<FindingDraft> {
  const trust = analyseTrust(role.trustPolicy, expected.trustedService, input.account);
  const fix = `aws iam update-assume-role-policy --role-name ${role.name} --policy-document '${trustDocument(expected.trustedService)}'`;
  let reported = false;
  if (!trust.serviceCanAssume) {
    reported = true;
    yield {
      ...base,
      rule: 'trust-service-missing',
      severity: 'high',
      title: `${expected.trustedService} cannot assume ${kind} ${role.name}`,
      subject: expected.trustedService,
      expected: `trust policy allows ${expected.trustedService} to call sts:AssumeRole`,
      actual: trust.blockedBecause ?? 'no such statement',
      remediation: fix,
    };
  }
  for (const principal of trust.unexpected) {
    if (expected.allowedPrincipals.includes(principal.principal)) continue;
    reported = true;
    yield {
      ...base,
      rule: 'trust-principal-unexpected',
      severity: principal.severity,
      title: `${kind} ${role.name} trusts ${principal.principal}`,
      subject: principal.principal,
      expected: `only ${[expected.trustedService, ...expected.allowedPrincipals].join(', ')} may assume the role`,
      actual: `${principal.principal} may assume it: ${principal.reason}`,
      remediation: `Remove ${principal.principal} from the trust policy: ${fix}`,
    };
  }
  if (expected.trustDocument && !reported && !equivalentPolicies(expected.trustDocument, role.trustPolicy)) {
    const diff = diffPolicies(expected.trustDocument, role.trustPolicy);
    yield {
      ...base,
      rule: 'trust-policy-changed',
      severity: diff.broadened ? 'high' : 'medium',
      title: `${kind} ${role.name} trust policy changed since the baseline`,
      subject: '',
      expected: 'the trust policy recorded in the baseline',
      actual: describeDiff(diff),
      remediation: `Restore the recorded trust policy (aws iam update-assume-role-policy --role-name ${role.name} --policy-document file://trust.json), or capture the new one into the baseline if the change is intended`,
    };
  }
  // A pinned trust policy was reviewed as a whole; the hardening hint would only repeat itself.
  if (
    expected.confusedDeputyCheck &&
    !expected.trustDocument &&
    trust.serviceCanAssume &&
    !trust.hasConfusedDeputyCondition
  ) {
    yield {
      ...base,
      rule: 'trust-confused-deputy',
      severity: 'low',
      title: `${kind} ${role.name} trust has no aws:SourceAccount or aws:SourceArn condition`,
      subject: expected.trustedService,
      expected: `the ${expected.trustedService} statement is scoped with aws:SourceAccount ${input.account} and/or aws:SourceArn`,
      actual: 'any AWS Batch request from any account could have Batch assume this role',
      remediation: `Add "Condition": {"StringEquals": {"aws:SourceAccount": "${input.account}"}, "ArnLike": {"aws:SourceArn": "arn:${input.partition}:batch:*:${input.account}:*"}} to the batch.amazonaws.com statement, then: aws iam update-assume-role-policy --role-name ${role.name} --policy-document file://trust.json`,
    };
  }
}

/** A policy on the role that has a document the rules can read. */
interface DocumentPolicy {
  readonly label: string;
  readonly subject: string;
  /** The baseline names it (by ARN or inline name). */
  readonly named: boolean;
  /** The document the baseline pins, if any. */
  readonly pinned?: { document: PolicyDocument; versionId?: string } | undefined;
  readonly document?: PolicyDocument | undefined;
  readonly versionId?: string | undefined;
  readonly remove: string;
  readonly inline: boolean;
}

function* awsManagedRules({ role, kind, expected, base, input }: RoleContext): Generator<FindingDraft> {
  const required = expected.requiredManagedPolicies.flat();
  for (const attached of role.attachedPolicies) {
    const key = awsManagedPolicyKey(attached.arn);
    if (key === undefined) continue;
    const explicitlyAllowed = [...expected.allowedManagedPolicies, ...required].some((ref) =>
      policyRefMatches(ref, attached.arn),
    );
    const remove = `aws iam detach-role-policy --role-name ${role.name} --policy-arn ${attached.arn}`;
    const name = lastSegment(key);
    const danger = input.baseline.dangerousManagedPolicies[name];
    // A team baseline that names a dangerous AWS managed policy on this role has accepted it.
    if (danger && !explicitlyAllowed) {
      yield {
        ...base,
        rule: 'dangerous-permission',
        severity: danger,
        title: `${kind} ${role.name} has ${name} attached`,
        subject: attached.arn,
        expected: `${name} is not attached to a Batch role`,
        actual: `AWS managed policy ${attached.arn} is attached`,
        remediation: remove,
      };
    } else if (input.baseline.deprecatedManagedPolicies.includes(name)) {
      yield {
        ...base,
        rule: 'deprecated-managed-policy',
        severity: 'medium',
        title: `${kind} ${role.name} uses deprecated AWS managed policy ${name}`,
        subject: attached.arn,
        expected: 'no deprecated AWS managed policies (once detached they cannot be attached again)',
        actual: `${attached.arn} is attached`,
        remediation: remove,
      };
    } else if (!explicitlyAllowed) {
      const readOnly = /ReadOnly(Access)?$/.test(name);
      yield {
        ...base,
        rule: 'managed-policy-unexpected',
        severity: readOnly ? 'low' : 'medium',
        title: `${kind} ${role.name} has unexpected policy ${name}`,
        subject: attached.arn,
        expected: `managed policies: ${required.map(lastSegment).join(', ') || 'none'}`,
        actual: `${attached.arn} is also attached${readOnly ? ' (read-only access)' : ''}`,
        remediation: remove,
      };
    }
  }
}

function* requiredPolicyRules({ role, kind, expected, base, input }: RoleContext): Generator<FindingDraft> {
  for (const alternatives of expected.requiredManagedPolicies) {
    if (alternatives.some((ref) => role.attachedPolicies.some((p) => policyRefMatches(ref, p.arn)))) continue;
    const arn = policyRefArn(input.partition, alternatives[0] ?? '');
    yield {
      ...base,
      rule: 'managed-policy-missing',
      severity: 'high',
      title: `${kind} ${role.name} is missing ${lastSegment(arn)}`,
      subject: arn,
      expected: `attached: ${alternatives.map(lastSegment).join(' or ')}`,
      actual: `attached: ${role.attachedPolicies.map((p) => p.name).join(', ') || 'none'}`,
      remediation: `aws iam attach-role-policy --role-name ${role.name} --policy-arn ${arn}`,
    };
  }
  for (const name of Object.keys(expected.allowedInlinePolicies)) {
    if (expected.allowedInlinePolicies[name] === null || role.inlinePolicies.some((p) => p.name === name)) continue;
    yield {
      ...base,
      rule: 'inline-policy-missing',
      severity: 'medium',
      title: `${kind} ${role.name} lost inline policy ${name}`,
      subject: name,
      expected: `inline policy ${name} as recorded in the baseline`,
      actual: 'no inline policy of that name: access narrowed, Batch may break',
      remediation: `aws iam put-role-policy --role-name ${role.name} --policy-name ${name} --policy-document file://${name}.json (the document is in the baseline)`,
    };
  }
}

const documentPolicies = ({ role, expected, input }: RoleContext): DocumentPolicy[] => {
  const customer = role.attachedPolicies
    .filter((p) => awsManagedPolicyKey(p.arn) === undefined)
    .map((attached): DocumentPolicy => {
      const read = input.snapshot.managedPolicies.get(attached.arn);
      return {
        label: `customer-managed policy ${attached.name}`,
        subject: attached.arn,
        named:
          expected.pinnedPolicies[attached.arn] !== undefined ||
          [...expected.allowedManagedPolicies, ...expected.requiredManagedPolicies.flat()].some((ref) =>
            policyRefMatches(ref, attached.arn),
          ),
        pinned: expected.pinnedPolicies[attached.arn],
        document: read?.status === 'found' ? read.value.document : undefined,
        versionId: read?.status === 'found' ? read.value.defaultVersionId : undefined,
        remove: `aws iam detach-role-policy --role-name ${role.name} --policy-arn ${attached.arn}`,
        inline: false,
      };
    });
  const inline = role.inlinePolicies.map((policy): DocumentPolicy => {
    const allowed = expected.allowedInlinePolicies[policy.name];
    return {
      label: `inline policy ${policy.name}`,
      subject: policy.name,
      named: allowed !== undefined,
      pinned: allowed ? { document: allowed } : undefined,
      document: policy.document,
      remove: `aws iam delete-role-policy --role-name ${role.name} --policy-name ${policy.name}`,
      inline: true,
    };
  });
  return [...customer, ...inline];
};

function* documentRules(context: RoleContext): Generator<FindingDraft> {
  const { role, kind, expected, base, input } = context;
  for (const policy of documentPolicies(context)) {
    const unchanged = policy.pinned && policy.document && equivalentPolicies(policy.pinned.document, policy.document);
    // A pinned document that has not changed was reviewed and accepted, dangerous or not.
    const grants = policy.document && !unchanged ? dangerousGrants(policy.document, input.account) : [];
    if (policy.pinned && policy.document && !unchanged) {
      const diff = diffPolicies(policy.pinned.document, policy.document);
      const before = dangerousGrants(policy.pinned.document, input.account).map((g) => g.kind);
      const newlyDangerous = grants.some((g) => !before.includes(g.kind));
      yield {
        ...base,
        rule: 'policy-document-changed',
        severity: newlyDangerous ? 'high' : 'medium',
        title: `${kind} ${role.name}: ${policy.label} changed since the baseline (${diff.broadened ? 'broadened' : diff.narrowed ? 'narrowed' : 'rewritten'})`,
        subject: policy.subject,
        expected: `the document recorded in the baseline${policy.pinned.versionId ? ` (version ${policy.pinned.versionId})` : ''}`,
        actual: `${policy.versionId ? `version ${policy.versionId}: ` : ''}${describeDiff(diff)}`,
        remediation: `Restore the recorded document${policy.inline ? ` (aws iam put-role-policy --role-name ${role.name} --policy-name ${policy.subject} --policy-document file://policy.json)` : ` (aws iam create-policy-version --policy-arn ${policy.subject} --policy-document file://policy.json --set-as-default)`}, or capture the new one into the baseline if the change is intended`,
      };
    } else if (
      unchanged &&
      policy.pinned?.versionId &&
      policy.versionId &&
      policy.pinned.versionId !== policy.versionId
    ) {
      yield {
        ...base,
        rule: 'policy-document-changed',
        severity: 'info',
        title: `${kind} ${role.name}: ${policy.label} has a new default version with the same permissions`,
        subject: policy.subject,
        expected: `default version ${policy.pinned.versionId}`,
        actual: `default version ${policy.versionId}, equivalent document`,
        remediation: 'Capture the baseline again to record the new version',
      };
    }
    if (grants.length > 0) {
      yield {
        ...base,
        rule: 'dangerous-permission',
        severity: MAX_SEVERITY(grants.map((g) => g.severity)),
        title: `${kind} ${role.name}: ${policy.label} ${grants[0]?.summary ?? ''}`,
        subject: policy.subject,
        expected: 'no administrator, iam:*, unconditioned iam:PassRole or sts:AssumeRole on * in a Batch role',
        actual: `${policy.label}${policy.named ? ' (named in the baseline)' : ' (not in the baseline)'}: ${grants.map((g) => g.summary).join('; ')}`,
        remediation: policy.remove,
      };
    } else if (!policy.named) {
      const readOnly = policy.document !== undefined && isReadOnlyPolicy(policy.document);
      yield {
        ...base,
        rule: policy.inline ? 'inline-policy-unexpected' : 'managed-policy-unexpected',
        severity: readOnly ? 'low' : 'medium',
        title: `${kind} ${role.name} has unexpected ${policy.label}`,
        subject: policy.subject,
        expected: policy.inline
          ? `inline policies: ${Object.keys(expected.allowedInlinePolicies).join(', ') || 'none'}`
          : `managed policies: ${expected.requiredManagedPolicies.flat().map(lastSegment).join(', ') || 'none'}`,
        actual: `${policy.label} is present${readOnly ? ' (read-only access)' : policy.document ? '' : ' (its document could not be read)'}`,
        remediation: policy.remove,
      };
    }
  }
}

function* boundaryRules({ role, kind, expected, base }: RoleContext): Generator<FindingDraft> {
  if (expected.permissionsBoundary === undefined) return;
  const actual = role.permissionsBoundaryArn ?? null;
  if (actual === expected.permissionsBoundary) return;
  yield {
    ...base,
    rule: 'permissions-boundary-changed',
    severity: 'medium',
    title: `${kind} ${role.name} permissions boundary ${actual === null ? 'removed' : expected.permissionsBoundary === null ? 'added' : 'changed'}`,
    subject: '',
    expected:
      expected.permissionsBoundary === null ? 'no permissions boundary' : `boundary ${expected.permissionsBoundary}`,
    actual:
      actual === null
        ? 'no permissions boundary: the role may use everything its policies grant'
        : `boundary ${actual}${expected.permissionsBoundary === null ? ': Batch may lose permissions it needs' : ''}`,
    remediation:
      expected.permissionsBoundary === null
        ? `aws iam delete-role-permissions-boundary --role-name ${role.name}`
        : `aws iam put-role-permissions-boundary --role-name ${role.name} --permissions-boundary ${expected.permissionsBoundary}`,
  };
}

function* profileRules(input: RuleInput): Generator<FindingDraft> {
  for (const [key, entry] of input.plan.instanceProfiles) {
    const read = input.snapshot.instanceProfiles.get(key);
    const arn = entry.arn ?? `arn:${input.partition}:iam::${input.account}:instance-profile/${entry.name}`;
    const base = { roleKind: entry.kind, computeEnvironments: entry.computeEnvironmentArns, subject: '' };
    if (read?.status === 'missing') {
      yield {
        ...base,
        rule: 'instance-profile-missing',
        severity: 'high',
        title: `Instance profile ${entry.name} does not exist`,
        resource: { type: 'instance-profile', arn, name: entry.name },
        expected: `instance profile ${entry.name} exists and contains the ${entry.kind}`,
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
        expected: `contains ${pinned ?? `the ${entry.kind}`}`,
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

const missingRoleKind = (use: RoleUse, name: string, baseline: Baseline): RoleKind =>
  use.kind !== 'service' ? use.kind : name === baseline.serviceLinkedRole.name ? 'service-linked-role' : 'service-role';

function* roleRules(input: RuleInput): Generator<FindingDraft> {
  const tagsOf = new Map(input.computeEnvironments.map((ce) => [ce.arn, ce.tags ?? {}]));
  for (const [key, entry] of input.plan.roles) {
    const read = input.snapshot.roles.get(key);
    if (read?.status === 'missing') {
      const arn = entry.arn ?? `arn:${input.partition}:iam::${input.account}:role/${entry.name}`;
      const byKind = new Map<RoleKind, string[]>();
      for (const use of entry.uses) {
        const kind = missingRoleKind(use, entry.name, input.baseline);
        byKind.set(kind, [...(byKind.get(kind) ?? []), use.computeEnvironmentArn]);
      }
      for (const [kind, ces] of byKind) {
        yield {
          rule: 'role-missing',
          severity: 'high',
          title: `${kind} ${entry.name} does not exist`,
          resource: { type: 'role', arn, name: entry.name },
          roleKind: kind,
          subject: '',
          computeEnvironments: ces,
          expected: `role ${entry.name} exists (referenced as ${entry.uses[0]?.referencedAs ?? entry.name})`,
          actual: 'IAM answers NoSuchEntity',
          remediation:
            kind === 'service-linked-role'
              ? 'aws iam create-service-linked-role --aws-service-name batch.amazonaws.com'
              : `aws iam create-role --role-name ${entry.name} --assume-role-policy-document '${trustDocument(input.baseline.roleKinds[kind].trustedService)}'`,
        };
      }
      continue;
    }
    if (read?.status !== 'found') continue;
    const role = read.value;
    for (const [kind, ces] of usesByKind(role, entry.uses, input.baseline)) {
      const tags = ces.map((ce) => tagsOf.get(ce) ?? {});
      const context: RoleContext = {
        role,
        kind,
        expected: expectationFor(input.baseline, role, kind, tags),
        base: { resource: roleResource(role), roleKind: kind, computeEnvironments: ces },
        input,
      };
      yield* trustRules(context);
      yield* requiredPolicyRules(context);
      yield* awsManagedRules(context);
      yield* documentRules(context);
      yield* boundaryRules(context);
    }
  }
}

function* computeEnvironmentRules(input: RuleInput): Generator<FindingDraft> {
  for (const ce of input.computeEnvironments) {
    if (ce.status !== 'INVALID' || !ce.statusReason || !IAM_STATUS_REASON.test(ce.statusReason)) continue;
    yield {
      rule: 'compute-environment-invalid',
      severity: 'high',
      title: `Compute environment ${ce.name} is INVALID for an IAM reason`,
      resource: { type: 'compute-environment', arn: ce.arn, name: ce.name },
      roleKind: null,
      subject: '',
      computeEnvironments: [ce.arn],
      expected: 'status VALID',
      actual: `INVALID: ${ce.statusReason}`,
      remediation: `Fix the IAM cause named in the reason (see the other findings for this compute environment), then re-enable it: aws batch update-compute-environment --region ${ce.region} --compute-environment ${ce.name} --state ENABLED`,
    };
  }
}

/** Runs every rule over what was read and returns each drift once, most severe first. */
export const evaluateRules = (input: RuleInput): Finding[] =>
  mergeFindings([...computeEnvironmentRules(input), ...profileRules(input), ...roleRules(input)]);
