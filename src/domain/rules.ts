import { awsManagedPolicyArn, awsManagedPolicyKey, type Baseline, lastSegment } from './baseline.js';
import { type Finding, type FindingDraft, type FindingResource, mergeFindings } from './finding.js';
import type { ComputeEnvironment, IamSnapshot, RoleKind, RoleState, Severity } from './model.js';
import { dangerousGrants, isReadOnlyPolicy } from './permissions.js';
import type { PolicyDocument } from './policy.js';
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

function* trustRules(role: RoleState, kind: RoleKind, ces: string[], input: RuleInput): Generator<FindingDraft> {
  const expected = input.baseline.roleKinds[kind];
  const trust = analyseTrust(role.trustPolicy, expected.trustedService, input.account);
  const base = { resource: roleResource(role), roleKind: kind, computeEnvironments: ces };
  const fix = `aws iam update-assume-role-policy --role-name ${role.name} --policy-document '${trustDocument(expected.trustedService)}'`;
  if (!trust.serviceCanAssume) {
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
    yield {
      ...base,
      rule: 'trust-principal-unexpected',
      severity: principal.severity,
      title: `${kind} ${role.name} trusts ${principal.principal}`,
      subject: principal.principal,
      expected: `only ${expected.trustedService} may assume the role`,
      actual: `${principal.principal} may assume it: ${principal.reason}`,
      remediation: `Remove ${principal.principal} from the trust policy: ${fix}`,
    };
  }
  if (expected.confusedDeputyCheck && trust.serviceCanAssume && !trust.hasConfusedDeputyCondition) {
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

interface PolicyOnRole {
  readonly label: string;
  readonly subject: string;
  readonly allowed: boolean;
  readonly document?: PolicyDocument | undefined;
  readonly remove: string;
  readonly kindWord: 'managed' | 'inline';
}

function* policyRules(role: RoleState, kind: RoleKind, ces: string[], input: RuleInput): Generator<FindingDraft> {
  const expected = input.baseline.roleKinds[kind];
  const base = { resource: roleResource(role), roleKind: kind, computeEnvironments: ces };
  const attachedKeys = new Set(role.attachedPolicies.map((p) => awsManagedPolicyKey(p.arn)).filter(Boolean));
  for (const alternatives of expected.requiredManagedPolicies) {
    if (alternatives.some((key) => attachedKeys.has(key))) continue;
    const arn = awsManagedPolicyArn(input.partition, alternatives[0] ?? '');
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
  const required = new Set(expected.requiredManagedPolicies.flat());
  const policies: PolicyOnRole[] = [];
  for (const attached of role.attachedPolicies) {
    const key = awsManagedPolicyKey(attached.arn);
    const allowed =
      (key !== undefined && (required.has(key) || expected.allowedManagedPolicies.includes(key))) ||
      expected.allowedManagedPolicies.includes(attached.arn);
    const remove = `aws iam detach-role-policy --role-name ${role.name} --policy-arn ${attached.arn}`;
    if (key !== undefined) {
      const name = lastSegment(key);
      const danger = input.baseline.dangerousManagedPolicies[name];
      if (danger) {
        yield {
          ...base,
          rule: 'dangerous-permission',
          severity: danger,
          title: `${kind} ${role.name} has ${name} attached`,
          subject: attached.arn,
          expected: `${name} is not attached to a Batch role`,
          actual: `AWS managed policy ${attached.arn} is attached${allowed ? ' (the baseline allows it)' : ''}`,
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
      } else if (!allowed) {
        const readOnly = /ReadOnly(Access)?$/.test(name);
        yield {
          ...base,
          rule: 'managed-policy-unexpected',
          severity: readOnly ? 'low' : 'medium',
          title: `${kind} ${role.name} has unexpected policy ${name}`,
          subject: attached.arn,
          expected: `managed policies: ${[...required].map(lastSegment).join(', ') || 'none'}`,
          actual: `${attached.arn} is also attached${readOnly ? ' (read-only access)' : ''}`,
          remediation: remove,
        };
      }
      continue;
    }
    const read = input.snapshot.managedPolicies.get(attached.arn);
    policies.push({
      label: `customer-managed policy ${attached.name}`,
      subject: attached.arn,
      allowed,
      document: read?.status === 'found' ? read.value.document : undefined,
      remove,
      kindWord: 'managed',
    });
  }
  for (const inline of role.inlinePolicies) {
    policies.push({
      label: `inline policy ${inline.name}`,
      subject: inline.name,
      allowed: expected.allowedInlinePolicies.includes(inline.name),
      document: inline.document,
      remove: `aws iam delete-role-policy --role-name ${role.name} --policy-name ${inline.name}`,
      kindWord: 'inline',
    });
  }
  for (const policy of policies) {
    const grants = policy.document ? dangerousGrants(policy.document, input.account) : [];
    if (grants.length > 0) {
      yield {
        ...base,
        rule: 'dangerous-permission',
        severity: MAX_SEVERITY(grants.map((g) => g.severity)),
        title: `${kind} ${role.name}: ${policy.label} ${grants[0]?.summary ?? ''}`,
        subject: policy.subject,
        expected: `no administrator, iam:*, unconditioned iam:PassRole or sts:AssumeRole on * in a Batch role`,
        actual: `${policy.label}${policy.allowed ? ' (allowed by the baseline)' : ' (not in the baseline)'}: ${grants.map((g) => g.summary).join('; ')}`,
        remediation: policy.remove,
      };
    } else if (!policy.allowed) {
      const readOnly = policy.document !== undefined && isReadOnlyPolicy(policy.document);
      yield {
        ...base,
        rule: policy.kindWord === 'inline' ? 'inline-policy-unexpected' : 'managed-policy-unexpected',
        severity: readOnly ? 'low' : 'medium',
        title: `${kind} ${role.name} has unexpected ${policy.label}`,
        subject: policy.subject,
        expected:
          policy.kindWord === 'inline'
            ? `inline policies: ${expected.allowedInlinePolicies.join(', ') || 'none'}`
            : `managed policies: ${[...required].map(lastSegment).join(', ') || 'none'}`,
        actual: `${policy.label} is present${readOnly ? ' (read-only access)' : policy.document ? '' : ' (its document could not be read)'}`,
        remediation: policy.remove,
      };
    }
  }
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

function* roleRules(input: RuleInput): Generator<FindingDraft> {
  for (const [key, entry] of input.plan.roles) {
    const read = input.snapshot.roles.get(key);
    if (read?.status === 'missing') {
      const arn = entry.arn ?? `arn:${input.partition}:iam::${input.account}:role/${entry.name}`;
      const kinds = new Set(
        entry.uses.map((use) =>
          use.kind === 'service'
            ? entry.name === input.baseline.serviceLinkedRole.name
              ? 'service-linked-role'
              : 'service-role'
            : use.kind,
        ),
      );
      for (const kind of kinds) {
        const ces = entry.uses
          .filter((use) =>
            use.kind === 'service' ? kind === 'service-linked-role' || kind === 'service-role' : use.kind === kind,
          )
          .map((use) => use.computeEnvironmentArn);
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
    for (const [kind, ces] of usesByKind(read.value, entry.uses, input.baseline)) {
      yield* trustRules(read.value, kind, ces, input);
      yield* policyRules(read.value, kind, ces, input);
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
