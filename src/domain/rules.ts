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
import {
  dangerousGrants,
  isReadOnlyPolicy,
  statementCoversAction,
  statementCoversResource,
  wildcardMatch,
} from './permissions.js';
import { equivalentPolicies, type PolicyDocument } from './policy.js';
import { describeDiff, diffPolicies } from './policy-diff.js';
import { type Dependent, entityName, type ReferencePlan, type RoleUse } from './references.js';
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

const useKind = (use: RoleUse, role: RoleState, baseline: Baseline): RoleKind =>
  use.kind === 'service' ? serviceRoleKind(role, baseline) : use.kind;

const usesByKind = (role: RoleState, uses: readonly RoleUse[], baseline: Baseline): Map<RoleKind, Dependent[]> => {
  const byKind = new Map<RoleKind, Dependent[]>();
  for (const use of uses) {
    const kind = useKind(use, role, baseline);
    byKind.set(kind, [...(byKind.get(kind) ?? []), use.dependent]);
  }
  return byKind;
};

/** Everything one rule family needs about one role used as one kind. */
interface RoleContext {
  readonly role: RoleState;
  readonly kind: RoleKind;
  readonly uses: readonly RoleUse[];
  readonly expected: RoleExpectation;
  readonly base: { resource: FindingResource; roleKind: RoleKind; dependents: Dependent[] };
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

/** The documents the role's own policies hold (inline and customer-managed, as read). */
const ownDocuments = (role: RoleState, input: RuleInput): PolicyDocument[] => [
  ...role.inlinePolicies.map((p) => p.document),
  ...role.attachedPolicies.flatMap((p) => {
    const read = input.snapshot.managedPolicies.get(p.arn);
    return read?.status === 'found' && read.value.document ? [read.value.document] : [];
  }),
];

const grantsAction = (documents: readonly PolicyDocument[], action: string, resource = '*'): boolean =>
  documents.some((d) =>
    d.statements.some(
      (s) => s.effect === 'Allow' && statementCoversAction(s, action) && statementCoversResource(s, resource),
    ),
  );

/** Policies that belong to the other orchestration (ECS instance policy on an EKS node, or the reverse). */
const wrongOrchestration = (kind: RoleKind, key: string, baseline: Baseline): boolean =>
  (kind === 'eks-node-role' && baseline.orchestrationPolicies.ecs.includes(key)) ||
  (kind === 'instance-role' && baseline.orchestrationPolicies.eks.includes(key));

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
    const recorded = expected.awsManagedPolicyVersions[key];
    const read = input.snapshot.managedPolicies.get(attached.arn);
    if (recorded && read?.status === 'found' && read.value.defaultVersionId !== recorded) {
      yield {
        ...base,
        rule: 'aws-managed-policy-version-changed',
        severity: 'info',
        title: `AWS updated ${name} (${recorded} → ${read.value.defaultVersionId}) on ${kind} ${role.name}`,
        subject: attached.arn,
        expected: `default version ${recorded}, as recorded in the baseline`,
        actual: `default version ${read.value.defaultVersionId}: AWS changed it, not a person`,
        remediation: 'Review the new version (aws iam get-policy-version), then capture the baseline again',
      };
    }
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
    } else if (kind === 'job-role' && !explicitlyAllowed && /FullAccess$/.test(name)) {
      yield {
        ...base,
        rule: 'dangerous-permission',
        severity: 'high',
        title: `${kind} ${role.name} has ${name} attached`,
        subject: attached.arn,
        expected: 'a job role grants the workload only what it needs',
        actual: `AWS managed policy ${attached.arn} grants full access to a service to every job using the role`,
        remediation: `${remove}, then attach a policy scoped to the job's resources`,
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
    } else if (!explicitlyAllowed && wrongOrchestration(kind, key, input.baseline)) {
      yield {
        ...base,
        rule: 'instance-role-wrong-orchestration',
        severity: 'low',
        title: `${kind} ${role.name} carries ${name}, a policy for ${kind === 'eks-node-role' ? 'ECS' : 'EKS'} instances`,
        subject: attached.arn,
        expected: `the ${kind === 'eks-node-role' ? 'EKS node' : 'ECS instance'} policies only`,
        actual: `${attached.arn} is attached: probably a mis-wired instance profile; unneeded permissions`,
        remediation: remove,
      };
    } else if (!explicitlyAllowed && !expected.workloadPolicies) {
      const readOnly = /ReadOnly(Access)?$/.test(name);
      yield {
        ...base,
        rule: 'managed-policy-unexpected',
        // A real service-linked role cannot be edited by customers: anything extra is tampering.
        severity: kind === 'service-linked-role' ? 'high' : readOnly ? 'low' : 'medium',
        title: `${kind} ${role.name} has unexpected policy ${name}`,
        subject: attached.arn,
        expected: `managed policies: ${required.map(lastSegment).join(', ') || 'none'}`,
        actual: `${attached.arn} is also attached${readOnly ? ' (read-only access)' : ''}`,
        remediation: remove,
      };
    }
  }
}

function* requiredPolicyRules(context: RoleContext): Generator<FindingDraft> {
  const { role, kind, expected, base, input } = context;
  for (const alternatives of expected.requiredManagedPolicies) {
    if (alternatives.some((ref) => role.attachedPolicies.some((p) => policyRefMatches(ref, p.arn)))) continue;
    const arn = policyRefArn(input.partition, alternatives[0] ?? '');
    const equivalentActions = alternatives.map((ref) => expected.requiredEquivalents?.[ref]).find(Boolean);
    const documents = ownDocuments(role, input);
    const equivalent = equivalentActions?.every((action) => grantsAction(documents, action)) === true;
    yield {
      ...base,
      rule: 'managed-policy-missing',
      severity: equivalent ? 'medium' : 'high',
      title: `${kind} ${role.name} is missing ${lastSegment(arn)}`,
      subject: arn,
      expected: `attached: ${alternatives.map(lastSegment).join(' or ')}`,
      actual: `attached: ${role.attachedPolicies.map((p) => p.name).join(', ') || 'none'}${equivalent ? "; the role's own policies grant the equivalent actions, so it works today but will not follow AWS's updates" : ''}`,
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

/** True when every Allow in the document is one of the kind's allowed actions (wildcard-aware, on the action side only). */
const onlyAllowedActions = (document: PolicyDocument, allowed: readonly string[]): boolean =>
  document.statements.every(
    (s) =>
      s.effect === 'Deny' ||
      s.actions?.every((pattern) => allowed.some((action) => wildcardMatch(action, pattern, true))) === true,
  );

const SERVICE_WILDCARD_RESOURCE = 'arn:aws:zzq9:zz-region-9:000000000000:zzq9/any';

/** For job roles: a statement that allows a whole service (`s3:*`) on every resource. */
const serviceWildcards = (document: PolicyDocument): string[] =>
  document.statements.flatMap((s) =>
    s.effect === 'Allow' && s.actions && statementCoversResource(s, SERVICE_WILDCARD_RESOURCE)
      ? s.actions.filter((a) => /^[a-z0-9-]+:\*$/.test(a))
      : [],
  );

function* documentRules(context: RoleContext): Generator<FindingDraft> {
  const { role, kind, expected, base, input } = context;
  for (const policy of documentPolicies(context)) {
    const unchanged = policy.pinned && policy.document && equivalentPolicies(policy.pinned.document, policy.document);
    // A pinned document that has not changed was reviewed and accepted, dangerous or not.
    const grants = policy.document && !unchanged ? dangerousGrants(policy.document, input.account) : [];
    const wildcards = kind === 'job-role' && policy.document && !unchanged ? serviceWildcards(policy.document) : [];
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
    if (grants.length > 0 || wildcards.length > 0) {
      const summaries = [
        ...grants.map((g) => g.summary),
        ...(wildcards.length ? [`every action of ${wildcards.join(', ')} on every resource`] : []),
      ];
      yield {
        ...base,
        rule: 'dangerous-permission',
        severity: MAX_SEVERITY([...grants.map((g) => g.severity), ...(wildcards.length ? (['high'] as const) : [])]),
        title: `${kind} ${role.name}: ${policy.label} ${summaries[0] ?? ''}`,
        subject: policy.subject,
        expected: 'no administrator, iam:*, unconditioned iam:PassRole or sts:AssumeRole on * in a Batch role',
        actual: `${policy.label}${policy.named ? ' (named in the baseline)' : ' (not in the baseline)'}: ${summaries.join('; ')}`,
        remediation: policy.remove,
      };
    } else if (
      !policy.named &&
      !expected.workloadPolicies &&
      !(expected.allowedActions && policy.document && onlyAllowedActions(policy.document, expected.allowedActions))
    ) {
      const readOnly = policy.document !== undefined && isReadOnlyPolicy(policy.document);
      yield {
        ...base,
        rule: policy.inline ? 'inline-policy-unexpected' : 'managed-policy-unexpected',
        severity: kind === 'service-linked-role' ? 'high' : readOnly ? 'low' : 'medium',
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

const SECRET_ACTIONS = ['secretsmanager:GetSecretValue', 'ssm:GetParameters', 'ssm:GetParameter', 'kms:Decrypt'];

function* executionRoleRules({ role, kind, base, input }: RoleContext): Generator<FindingDraft> {
  if (kind !== 'execution-role') return;
  const documents = ownDocuments(role, input);
  const wide = SECRET_ACTIONS.filter((action) => grantsAction(documents, action, SERVICE_WILDCARD_RESOURCE));
  if (wide.length === 0) return;
  yield {
    ...base,
    rule: 'execution-role-secrets-wildcard',
    severity: 'medium',
    title: `execution-role ${role.name} may read every secret, parameter or key (${wide.join(', ')} on *)`,
    subject: wide.join(','),
    expected: 'secrets, SSM and KMS permissions scoped to the ARNs the jobs use',
    actual: `${wide.join(', ')} allowed on Resource "*": every job that uses this role can read every one`,
    remediation: `Scope the statement's Resource to the secret, parameter and key ARNs the job definitions reference, then aws iam put-role-policy --role-name ${role.name} ...`,
  };
}

function* eventBridgeRules({ role, kind, uses, base, input }: RoleContext): Generator<FindingDraft> {
  if (kind !== 'eventbridge-role') return;
  const documents = ownDocuments(role, input);
  const managed = role.attachedPolicies.some((p) =>
    input.baseline.submitJobManagedPolicies.some((ref) => policyRefMatches(ref, p.arn)),
  );
  for (const use of uses) {
    const target = input.plan.eventTargets.find((t) => t.ruleArn === use.dependent.arn);
    if (!target) continue;
    const resources = [target.jobQueueArn, ...(target.jobDefinition?.startsWith('arn:') ? [target.jobDefinition] : [])];
    const missing = managed ? [] : resources.filter((arn) => !grantsAction(documents, 'batch:SubmitJob', arn));
    if (missing.length === 0) continue;
    yield {
      ...base,
      dependents: [use.dependent],
      rule: 'eventbridge-role-cannot-submit',
      severity: 'high',
      title: `eventbridge-role ${role.name} cannot submit jobs for rule ${target.ruleName}`,
      subject: target.ruleArn,
      expected: `batch:SubmitJob allowed on ${resources.join(' and ')}`,
      actual: `no policy of the role allows batch:SubmitJob on ${missing.join(' and ')}: scheduled and event-driven jobs are silently not submitted`,
      remediation: `aws iam attach-role-policy --role-name ${role.name} --policy-arn ${policyRefArn(input.partition, 'service-role/AWSBatchServiceEventTargetRole')}`,
    };
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

function* identityRules({ role, kind, expected, base }: RoleContext): Generator<FindingDraft> {
  if (!expected.roleId || expected.roleId === role.roleId) return;
  yield {
    ...base,
    rule: 'role-recreated',
    severity: 'medium',
    title: `${kind} ${role.name} was deleted and recreated (new role id)`,
    subject: '',
    expected: `role id ${expected.roleId}, as recorded in the baseline`,
    actual: `role id ${role.roleId}: trust and resource policies elsewhere that named the old role by id no longer apply to it`,
    remediation:
      'Check policies that reference the role (KMS key policies, S3 bucket policies, trust policies), then capture the baseline again',
  };
}

/** Checks on how compute environments name their service role, which need the role as read. */
function* serviceRoleReferenceRules({ role, kind, uses, expected, input }: RoleContext): Generator<FindingDraft> {
  if (kind !== 'service-role' && kind !== 'service-linked-role') return;
  const slr = input.baseline.serviceLinkedRole;
  const resource = roleResource(role);
  const ces = new Map(input.computeEnvironments.map((ce) => [ce.arn, ce]));
  const serviceUses = uses.filter((u) => u.kind === 'service');
  const dependents = serviceUses.map((u) => u.dependent);
  if (role.name === slr.name && role.path !== slr.path) {
    yield {
      resource,
      roleKind: kind,
      dependents,
      rule: 'service-linked-role-impostor',
      severity: 'high',
      title: `A role named ${slr.name} lives at ${role.path}, not ${slr.path}`,
      subject: '',
      expected: `the service-linked role at ${slr.path}, created by AWS with BatchServiceRolePolicy`,
      actual: `an ordinary role with that name at path ${role.path}: created by hand (a known documentation trap) or an impostor`,
      remediation:
        'aws iam create-service-linked-role --aws-service-name batch.amazonaws.com, point the compute environments at it, then delete this role',
    };
  }
  // Only a name the compute environment itself holds counts: no serviceRole at all means the service-linked role.
  const bare = serviceUses.filter((u) => {
    const given = ces.get(u.dependent.arn)?.serviceRole?.trim();
    return given !== undefined && given !== '' && !given.startsWith('arn:') && !given.includes('/');
  });
  if (bare.length > 0 && role.path !== '/') {
    yield {
      resource,
      roleKind: kind,
      dependents: bare.map((u) => u.dependent),
      rule: 'service-role-name-without-path',
      severity: 'medium',
      title: `Compute environments name service role ${role.name} without its path ${role.path}`,
      subject: 'serviceRole',
      expected: `serviceRole given as the full ARN ${role.arn}`,
      actual: `serviceRole is "${bare[0]?.referencedAs}": Batch assumes no path, so it looks for the wrong ARN and the compute environment goes INVALID`,
      remediation: `aws batch update-compute-environment --compute-environment NAME --service-role ${role.arn} (where the service role can be changed), or recreate the compute environment with the full ARN`,
    };
  }
  if (kind !== 'service-role') return;
  const eks = serviceUses.filter((u) => ces.get(u.dependent.arn)?.orchestration === 'EKS');
  if (eks.length > 0) {
    yield {
      resource,
      roleKind: kind,
      dependents: eks.map((u) => u.dependent),
      rule: 'eks-service-role-not-slr',
      severity: 'high',
      title: `EKS compute environments use customer service role ${role.name}`,
      subject: 'serviceRole',
      expected: 'AWS Batch on Amazon EKS supports only the service-linked role AWSServiceRoleForBatch',
      actual: `serviceRole is ${role.arn}`,
      remediation: 'Recreate the compute environment without serviceRole, so Batch uses the service-linked role',
    };
  }
  const managedEcs = serviceUses.filter((u) => {
    const ce = ces.get(u.dependent.arn);
    return ce?.type === 'MANAGED' && ce.orchestration === 'ECS';
  });
  // A captured (pinned) role was reviewed as it is; the advice was in the capture's header.
  if (managedEcs.length > 0 && !expected.trustDocument) {
    yield {
      resource,
      roleKind: kind,
      dependents: managedEcs.map((u) => u.dependent),
      rule: 'service-role-not-slr',
      severity: 'info',
      title: `Managed compute environments use customer service role ${role.name} instead of the service-linked role`,
      subject: 'serviceRole',
      expected: 'the service-linked role AWSServiceRoleForBatch (AWS recommends leaving serviceRole unset)',
      actual: `serviceRole is ${role.arn}: infrastructure updates are not possible, and the role can be edited and drift`,
      remediation:
        'New compute environments: leave serviceRole unset. Existing ones cannot switch in place; recreate them when convenient.',
    };
  }
}

function* profileRules(input: RuleInput): Generator<FindingDraft> {
  for (const [key, entry] of input.plan.instanceProfiles) {
    const read = input.snapshot.instanceProfiles.get(key);
    const arn = entry.arn ?? `arn:${input.partition}:iam::${input.account}:instance-profile/${entry.name}`;
    const dependents = entry.computeEnvironmentArns.map((ce) => ({ type: 'compute-environment' as const, arn: ce }));
    const base = { roleKind: entry.kind, dependents, subject: '' };
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

function* missingRoleRules(
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
          : `aws iam create-role --role-name ${entry.name} --assume-role-policy-document '${trustDocument(input.baseline.roleKinds[kind].trustedService)}'`,
    };
  }
}

function* roleRules(input: RuleInput): Generator<FindingDraft> {
  const tagsOf = new Map(input.computeEnvironments.map((ce) => [ce.arn, ce.tags ?? {}]));
  for (const [key, entry] of input.plan.roles) {
    const read = input.snapshot.roles.get(key);
    if (read?.status === 'missing') {
      yield* missingRoleRules(input, entry);
      continue;
    }
    if (read?.status !== 'found') continue;
    const role = read.value;
    for (const [kind, dependents] of usesByKind(role, entry.uses, input.baseline)) {
      const uses = entry.uses.filter((u) => useKind(u, role, input.baseline) === kind);
      const tags = dependents.map((d) => tagsOf.get(d.arn)).filter((t): t is Record<string, string> => t !== undefined);
      const context: RoleContext = {
        role,
        kind,
        uses,
        expected: expectationFor(input.baseline, role, kind, tags),
        base: { resource: roleResource(role), roleKind: kind, dependents },
        input,
      };
      yield* trustRules(context);
      yield* requiredPolicyRules(context);
      yield* awsManagedRules(context);
      yield* documentRules(context);
      yield* executionRoleRules(context);
      yield* eventBridgeRules(context);
      yield* boundaryRules(context);
      yield* identityRules(context);
      yield* serviceRoleReferenceRules(context);
    }
  }
}

function* jobDefinitionRules(input: RuleInput): Generator<FindingDraft> {
  for (const definition of input.plan.jobDefinitions) {
    const dependents: Dependent[] = [{ type: 'job-definition', arn: definition.arn }];
    if (definition.platformCapabilities.includes('FARGATE') && definition.containersWithoutExecutionRole > 0) {
      yield {
        rule: 'job-definition-execution-role-missing',
        severity: 'high',
        title: `Fargate job definition ${definition.name} has no execution role`,
        resource: { type: 'job-definition', arn: definition.arn, name: definition.name },
        roleKind: 'execution-role',
        subject: '',
        dependents,
        expected: 'executionRoleArn set: jobs on Fargate must provide an execution role',
        actual: `${definition.containersWithoutExecutionRole} container${definition.containersWithoutExecutionRole === 1 ? '' : 's'} without executionRoleArn: images cannot be pulled nor logs written`,
        remediation: `aws batch register-job-definition --job-definition-name ${definition.name} ... with containerProperties.executionRoleArn set to a role trusting ecs-tasks.amazonaws.com with AmazonECSTaskExecutionRolePolicy`,
      };
    }
    for (const arn of definition.jobRoles.filter((r) => definition.executionRoles.includes(r))) {
      const name = entityName(arn);
      yield {
        rule: 'role-used-as-job-and-execution',
        severity: 'info',
        title: `Job definition ${definition.name} uses ${name} as both job role and execution role`,
        resource: { type: 'role', arn, name },
        roleKind: 'job-role',
        subject: definition.arn,
        dependents,
        expected: 'separate roles: the execution role serves the ECS agent, the job role the application',
        actual: `${name} is both: the application gets the agent's permissions and the reverse`,
        remediation: 'Create a dedicated job role with only what the job needs and set jobRoleArn to it',
      };
    }
  }
}

function* accountRules(input: RuleInput): Generator<FindingDraft> {
  const spot = input.computeEnvironments.filter((ce) => ce.resourceType === 'SPOT');
  if (spot.length === 0) return;
  for (const slr of input.baseline.spotServiceLinkedRoles) {
    if (input.snapshot.roles.get(slr.name.toLowerCase())?.status !== 'missing') continue;
    yield {
      rule: 'spot-service-linked-role-missing',
      severity: 'medium',
      title: `${slr.name} does not exist while SPOT compute environments do`,
      resource: {
        type: 'role',
        arn: `arn:${input.partition}:iam::${input.account}:role${slr.path}${slr.name}`,
        name: slr.name,
      },
      roleKind: null,
      subject: '',
      dependents: spot.map((ce) => ({ type: 'compute-environment' as const, arn: ce.arn })),
      expected: `the Spot service-linked role ${slr.name}`,
      actual: 'IAM answers NoSuchEntity',
      remediation: `aws iam create-service-linked-role --aws-service-name ${slr.service}`,
    };
  }
}

function* computeEnvironmentRules(input: RuleInput, causes: readonly Finding[]): Generator<FindingDraft> {
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

/** Runs every rule over what was read and returns each drift once, most severe first, with its blast radius. */
export const evaluateRules = (input: RuleInput): Finding[] => {
  const queuesOf = (dependent: Dependent): readonly string[] =>
    dependent.type === 'compute-environment'
      ? (input.plan.queuesByComputeEnvironment.get(dependent.arn) ?? [])
      : dependent.type === 'event-rule'
        ? input.plan.eventTargets.filter((t) => t.ruleArn === dependent.arn).map((t) => t.jobQueueArn)
        : [];
  const causes = mergeFindings(
    [...profileRules(input), ...roleRules(input), ...jobDefinitionRules(input), ...accountRules(input)],
    queuesOf,
  );
  return mergeFindings(
    [
      ...computeEnvironmentRules(input, causes),
      ...causes.map((f) => ({
        ...f,
        dependents: [
          ...f.computeEnvironments.map((arn) => ({ type: 'compute-environment' as const, arn })),
          ...f.jobDefinitions.map((arn) => ({ type: 'job-definition' as const, arn })),
          ...f.eventRules.map((arn) => ({ type: 'event-rule' as const, arn })),
        ],
      })),
    ],
    queuesOf,
  );
};
