import { awsManagedPolicyKey, lastSegment, policyRefArn, policyRefMatches } from '../baseline.js';
import { PolicyEvaluator } from '../evaluator.js';
import type { FindingDraft } from '../finding.js';
import type { RoleKind, Severity } from '../model.js';
import type { PolicyDocument } from '../policy.js';
import { describeDiff, diffPolicies } from '../policy-diff.js';
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
const deprecated = ({ role, kind, base, input }: RoleContext, policy: RolePolicy): FindingDraft[] =>
  policy.awsManaged && input.baseline.deprecatedManagedPolicies.includes(lastSegment(policy.subject))
    ? [
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
      ]
    : [];

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

/** Rules on what must be there: required managed policies (or an own-policy equivalent) and the inline policies the baseline records. */
export function* requiredPolicyRules(context: RoleContext): Generator<FindingDraft> {
  const { role, kind, expected, base, input } = context;
  const unread = new Set((role.unread ?? []).map((e) => e.operation));
  // What could not be listed is not judged absent: the read error is in the report instead.
  const attachedKnown = !unread.has('iam:ListAttachedRolePolicies');
  const inlineKnown = !unread.has('iam:ListRolePolicies') && !unread.has('iam:GetRolePolicy');
  for (const alternatives of attachedKnown ? expected.requiredManagedPolicies : []) {
    if (alternatives.some((ref) => role.attachedPolicies.some((p) => policyRefMatches(ref, p.arn)))) continue;
    const arn = policyRefArn(input.partition, alternatives[0] ?? '');
    const equivalentActions = alternatives.map((ref) => expected.requiredEquivalents?.[ref]).find(Boolean);
    const equivalent = equivalentActions?.every((action) => canEverywhere(role, input, action) === 'yes') === true;
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
