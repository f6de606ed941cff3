import { awsManagedPolicyKey, lastSegment, policyRefArn, policyRefMatches } from '../baseline.js';
import { PolicyEvaluator } from '../evaluator.js';
import type { FindingDraft } from '../finding.js';
import type { RoleKind, Severity } from '../model.js';
import { servicePrincipal } from '../partitions.js';
import type { PolicyDocument } from '../policy.js';
import { describeDiff, diffPolicies } from '../policy-diff.js';
import { entityName } from '../references.js';
import { analyseRisk } from '../risk.js';
import {
  canEverywhere,
  isReadOnly,
  namesManagedPolicy,
  onlyAllowedActions,
  type RolePolicy,
  riskScope,
  rolePolicies,
  routineAddOn,
} from './access.js';
import { type RoleContext, wrongOrchestration } from './context.js';
import { reportedRisks } from './effective.js';
import { unmetExecutionNeeds } from './workloads.js';

/** How a policy leaves the role: the CLI command. */
const removal = (role: string, policy: RolePolicy): string =>
  policy.inline
    ? `aws iam delete-role-policy --role-name ${role} --policy-name ${policy.subject}`
    : `aws iam detach-role-policy --role-name ${role} --policy-arn ${policy.subject}`;

/** Severity of a policy the baseline does not expect: a real service-linked role cannot be edited, so anything extra is tampering. */
const unexpectedSeverity = (kind: RoleKind, readOnly: boolean): Severity =>
  kind === 'service-linked-role' ? 'high' : readOnly ? 'low' : 'medium';

/** True when the baseline names the policy (required, allowed, pinned, or an allowed inline name). */
const named = ({ expected }: RoleContext, policy: RolePolicy): boolean =>
  policy.inline
    ? policy.subject in expected.allowedInlinePolicies
    : expected.pinnedPolicies[policy.subject] !== undefined || namesManagedPolicy(expected, policy.subject);

/** The document (and version) the baseline pins for the policy, if it pins one. */
const pinnedOf = (
  { expected }: RoleContext,
  policy: RolePolicy,
): { document: PolicyDocument; versionId?: string } | undefined => {
  if (!policy.inline) return expected.pinnedPolicies[policy.subject];
  const document = expected.allowedInlinePolicies[policy.subject];
  return document ? { document } : undefined;
};

/** An AWS managed policy's default version moved since the baseline recorded it (AWS changed it). */
const awsVersionChanged = ({ role, kind, expected, base }: RoleContext, policy: RolePolicy): FindingDraft[] => {
  const key = awsManagedPolicyKey(policy.subject);
  const recorded = key ? expected.awsManagedPolicyVersions[key] : undefined;
  if (!recorded || !policy.versionId || policy.versionId === recorded) return [];
  return [
    {
      ...base,
      rule: 'aws-managed-policy-version-changed',
      severity: 'info',
      title: `AWS updated ${lastSegment(policy.subject)} (${recorded} → ${policy.versionId}) on ${kind} ${role.name}`,
      subject: policy.subject,
      expected: `default version ${recorded}, as recorded in the baseline`,
      actual: `default version ${policy.versionId}: AWS changed it, not a person`,
      remediation: 'Review the new version (aws iam get-policy-version), then capture the baseline again',
    },
  ];
};

/** An AWS managed policy AWS has deprecated (once detached it cannot be attached again). */
const deprecated = (context: RoleContext, policy: RolePolicy): FindingDraft[] => {
  const { role, kind, base, input } = context;
  if (!policy.awsManaged || !input.baseline.deprecatedManagedPolicies.includes(lastSegment(policy.subject))) return [];
  if (kind === 'spot-fleet-role' && awsManagedPolicyKey(policy.subject) === LEGACY_SPOT_FLEET) {
    return [legacySpotFleet(context, policy)];
  }
  return [
    {
      ...base,
      rule: 'deprecated-managed-policy',
      severity: 'medium',
      title: `${kind} ${role.name} uses deprecated AWS managed policy ${lastSegment(policy.subject)}`,
      subject: policy.subject,
      expected: 'no deprecated AWS managed policies (once detached they cannot be attached again)',
      actual: `${policy.subject} is attached`,
      remediation: removal(role.name, policy),
    },
  ];
};

/**
 * The legacy AmazonEC2SpotFleetRole on a Spot Fleet role, reported once: high when a compute
 * environment on the service-linked role needs its Spot instances tagged (to scale them down) and the
 * role cannot tag, medium otherwise.
 */
const legacySpotFleet = (context: RoleContext, policy: RolePolicy): FindingDraft => {
  const { role, kind, base, input } = context;
  const ces = new Map(input.computeEnvironments.map((ce) => [ce.arn, ce]));
  const onSlr = context.uses.some((u) => {
    const given = ces.get(u.dependent.arn)?.serviceRole?.trim();
    return !given || entityName(given) === input.baseline.serviceLinkedRole.name;
  });
  const canTag = canEverywhere(role, input, 'ec2:CreateTags') === 'yes';
  const broken = onSlr && !canTag;
  const tagging = policyRefArn(input.partition, 'service-role/AmazonEC2SpotFleetTaggingRole');
  return {
    ...base,
    rule: 'deprecated-managed-policy',
    severity: broken ? 'high' : 'medium',
    title: `${kind} ${role.name} uses the deprecated AmazonEC2SpotFleetRole${broken ? ': Spot instances cannot be tagged or scaled down' : ''}`,
    subject: policy.subject,
    expected: `${lastSegment(tagging)} attached instead (the tagging policy Batch documents for Spot Fleet roles)`,
    actual: `${policy.subject} is attached${canTag ? '' : ', which cannot tag Spot instances'}${broken ? '; compute environments on the service-linked role need tagged instances to scale down' : ''}; it also allows iam:PassRole on * without iam:PassedToService`,
    remediation: `aws iam attach-role-policy --role-name ${role.name} --policy-arn ${tagging} && ${removal(role.name, policy)}`,
  };
};

/** An ECS instance policy on an EKS node role, or the reverse: probably a mis-wired instance profile. */
const crossWired = (context: RoleContext, policy: RolePolicy): FindingDraft[] => {
  const { role, kind, base, input } = context;
  const key = awsManagedPolicyKey(policy.subject);
  if (!key || named(context, policy) || !wrongOrchestration(kind, key, input.baseline)) return [];
  const other = kind === 'eks-node-role' ? 'ECS' : 'EKS';
  return [
    {
      ...base,
      rule: 'instance-role-wrong-orchestration',
      severity: 'low',
      title: `${kind} ${role.name} carries ${lastSegment(key)}, a policy for ${other} instances`,
      subject: policy.subject,
      expected: `the ${kind === 'eks-node-role' ? 'EKS node' : 'ECS instance'} policies only`,
      actual: `${policy.subject} is attached: probably a mis-wired instance profile; unneeded permissions`,
      remediation: removal(role.name, policy),
    },
  ];
};

/** A policy the baseline does not name, on a role whose policies are not the workload's business. */
const unexpected = (context: RoleContext, policy: RolePolicy): FindingDraft[] => {
  const { role, kind, expected, base } = context;
  if (named(context, policy) || expected.workloadPolicies) return [];
  // A risky grant in the policy is reported by the effective-permission rules, more severely; on the
  // service-linked role the policy is tampering in its own right.
  const risky = reportedRisks(context).some((g) => g.allowedBy.some((ref) => ref.policy === policy.label));
  if (risky && kind !== 'service-linked-role') return [];
  if (policy.awsManaged && (deprecated(context, policy).length > 0 || crossWired(context, policy).length > 0))
    return [];
  if (!policy.awsManaged && expected.allowedActions && policy.document) {
    if (onlyAllowedActions(policy.document, expected.allowedActions)) return [];
  }
  const addOn = routineAddOn(context, policy);
  if (addOn) {
    return [
      {
        ...base,
        rule: 'managed-policy-unexpected',
        severity: addOn.severity,
        title: `${kind} ${role.name} has routine add-on ${policy.label}`,
        subject: policy.subject,
        expected: `managed policies: ${expected.requiredManagedPolicies.flat().map(lastSegment).join(', ') || 'none'}`,
        actual: `${policy.label} is attached: it ${addOn.risk}`,
        remediation: `Keep it if the instances need it (add it to the baseline's allowedManagedPolicies), else ${removal(role.name, policy)}`,
      },
    ];
  }
  const readOnly = policy.document !== undefined && isReadOnly(policy.document);
  return [
    {
      ...base,
      rule: policy.inline ? 'inline-policy-unexpected' : 'managed-policy-unexpected',
      severity: unexpectedSeverity(kind, readOnly),
      title: `${kind} ${role.name} has unexpected ${policy.label}`,
      subject: policy.subject,
      expected: policy.inline
        ? `inline policies: ${Object.keys(expected.allowedInlinePolicies).join(', ') || 'none'}`
        : `managed policies: ${expected.requiredManagedPolicies.flat().map(lastSegment).join(', ') || 'none'}`,
      actual: `${policy.label} is present${readOnly ? ' (read-only access)' : policy.document ? '' : ' (its document could not be read)'}`,
      remediation: removal(role.name, policy),
    },
  ];
};

/** A pinned document whose effective access changed, or whose version moved with the same access. */
const pinnedChanged = (context: RoleContext, policy: RolePolicy): FindingDraft[] => {
  const { role, kind, base, input } = context;
  const pinned = pinnedOf(context, policy);
  if (!pinned?.document || !policy.document) return [];
  const diff = diffPolicies(pinned.document, policy.document);
  const restore = policy.inline
    ? `aws iam put-role-policy --role-name ${role.name} --policy-name ${policy.subject} --policy-document file://policy.json`
    : `aws iam create-policy-version --policy-arn ${policy.subject} --policy-document file://policy.json --set-as-default`;
  if (diff.gained.length + diff.lost.length + diff.changed.length === 0) {
    if (!pinned.versionId || !policy.versionId || pinned.versionId === policy.versionId) return [];
    return [
      {
        ...base,
        rule: 'policy-document-changed',
        severity: 'info',
        title: `${kind} ${role.name}: ${policy.label} has a new default version with the same permissions`,
        subject: policy.subject,
        expected: `default version ${pinned.versionId}`,
        actual: `default version ${policy.versionId}, same effective access`,
        remediation: 'Capture the baseline again to record the new version',
      },
    ];
  }
  // Newly dangerous: the new document has a risky grant the recorded one did not.
  const risky = analyseRisk(
    new PolicyEvaluator([{ label: policy.label, document: policy.document }]),
    new PolicyEvaluator([{ label: policy.label, document: pinned.document }]),
    riskScope(role, input),
  );
  return [
    {
      ...base,
      rule: 'policy-document-changed',
      severity: risky.length > 0 ? 'high' : 'medium',
      title: `${kind} ${role.name}: ${policy.label} changed since the baseline (${diff.broadened ? 'broadened' : diff.narrowed ? 'narrowed' : 'conditions changed'})`,
      subject: policy.subject,
      expected: `the document recorded in the baseline${pinned.versionId ? ` (version ${pinned.versionId})` : ''}`,
      actual: `${policy.versionId ? `version ${policy.versionId}: ` : ''}${describeDiff(diff)}`,
      remediation: `Restore the recorded document (${restore}), or capture the new one into the baseline if the change is intended`,
    },
  ];
};

/** The checks made on every policy of the role, in report order. */
const POLICY_CHECKS = [awsVersionChanged, pinnedChanged, deprecated, crossWired, unexpected] as const;

/** Rules on each policy of the role: version moves, pinned documents changed, deprecated, cross-wired, unexpected. */
export function* policyRules(context: RoleContext): Generator<FindingDraft> {
  for (const policy of rolePolicies(context.role, context.input)) {
    for (const check of POLICY_CHECKS) yield* check(context, policy);
  }
}

/** The only service the Spot Fleet role passes roles to; PassRole in an equivalence probe is judged as passed to it. */
const PASSED_TO_EC2 = (input: RoleContext['input']) => ({
  'iam:passedtoservice': [servicePrincipal('ec2.amazonaws.com', input.partition)],
});

/**
 * An execution role without AmazonECSTaskExecutionRolePolicy is judged by what its job definitions
 * need (Fargate: the image's repository and the log group), so a least-privilege policy passes.
 */
function* executionRoleMissing(
  context: RoleContext,
  arn: string,
  alternatives: readonly string[],
): Generator<FindingDraft> {
  const { role, kind, base } = context;
  const unmet = unmetExecutionNeeds(context);
  if (unmet.length === 0) return;
  yield {
    ...base,
    rule: 'managed-policy-missing',
    severity: 'high',
    title: `${kind} ${role.name} is missing ${lastSegment(arn)} and lacks what its Fargate jobs need`,
    subject: arn,
    expected: `attached: ${alternatives.map(lastSegment).join(' or ')}, or own policies allowing what the job definitions use`,
    actual: `not allowed: ${unmet.map((n) => `${n.action} on ${n.resources[0]} (${n.why})`).join('; ')}`,
    remediation: `aws iam attach-role-policy --role-name ${role.name} --policy-arn ${arn}, or allow those actions on those resources`,
  };
}

/** True when a Spot Fleet role carries the deprecated AmazonEC2SpotFleetRole (its own finding says what is missing). */
const legacySpotFleetPolicy = ({ kind, role }: RoleContext): boolean =>
  kind === 'spot-fleet-role' && role.attachedPolicies.some((p) => awsManagedPolicyKey(p.arn) === LEGACY_SPOT_FLEET);

const LEGACY_SPOT_FLEET = 'service-role/AmazonEC2SpotFleetRole';

/** Rules on what must be there: required managed policies (or an own-policy equivalent) and the inline policies the baseline records. */
export function* requiredPolicyRules(context: RoleContext): Generator<FindingDraft> {
  const { role, kind, expected, base, input } = context;
  const unread = new Set((role.unread ?? []).map((e) => e.operation));
  // What could not be listed is not judged absent: the read error is in the report instead.
  const attachedKnown = !unread.has('iam:ListAttachedRolePolicies');
  const inlineKnown = !unread.has('iam:ListRolePolicies') && !unread.has('iam:GetRolePolicy');
  for (const alternatives of attachedKnown ? expected.requiredManagedPolicies : []) {
    if (alternatives.some((ref) => role.attachedPolicies.some((p) => policyRefMatches(ref, p.arn)))) continue;
    // The deprecated Spot Fleet policy is reported once, as what replaces the missing tagging policy.
    if (legacySpotFleetPolicy(context)) continue;
    const arn = policyRefArn(input.partition, alternatives[0] ?? '');
    if (kind === 'execution-role') {
      yield* executionRoleMissing(context, arn, alternatives);
      continue;
    }
    const equivalentActions = alternatives.map((ref) => expected.requiredEquivalents?.[ref]).find(Boolean);
    const equivalent =
      equivalentActions?.every((action) => canEverywhere(role, input, action, PASSED_TO_EC2(input)) === 'yes') === true;
    yield {
      ...base,
      rule: 'managed-policy-missing',
      severity: equivalent ? 'info' : 'high',
      title: `${kind} ${role.name} is missing ${lastSegment(arn)}${equivalent ? ', but its own policies grant the same' : ''}`,
      subject: arn,
      expected: `attached: ${alternatives.map(lastSegment).join(' or ')}, or own policies granting its actions on every resource`,
      actual: `attached: ${role.attachedPolicies.map((p) => p.name).join(', ') || 'none'}${equivalent ? "; the role's own policies grant every action of the managed policy, so it works today but will not follow AWS's updates to it" : `; missing on every resource: ${(equivalentActions ?? []).filter((a) => canEverywhere(role, input, a, PASSED_TO_EC2(input)) !== 'yes').join(', ') || 'the policy'}`}`,
      remediation: `aws iam attach-role-policy --role-name ${role.name} --policy-arn ${arn}`,
    };
  }
  for (const name of inlineKnown ? Object.keys(expected.allowedInlinePolicies) : []) {
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
