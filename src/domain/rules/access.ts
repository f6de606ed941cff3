import { awsManagedPolicyKey, lastSegment, policyRefMatches } from '../baseline.js';
import { actionCatalog } from '../catalog.js';
import type { RequestContext } from '../conditions.js';
import { type Decision, PolicyEvaluator, type PolicySource, type StatementRef } from '../evaluator.js';
import type { RoleState } from '../model.js';
import { normalisePolicy, type PolicyDocument } from '../policy.js';
import { diffPolicies, sameAccess } from '../policy-diff.js';
import { judgeEveryResource, type RiskScope } from '../risk.js';
import { CREDENTIAL_ACTIONS, DATA_ACTIONS } from '../risk-data.js';
import type { RoleContext, RuleInput } from './context.js';

/** One policy on a role with its label for findings and, when it could be read, its document. */
export interface RolePolicy {
  readonly label: string;
  /** Policy ARN, or the inline policy's name. */
  readonly subject: string;
  readonly inline: boolean;
  readonly awsManaged: boolean;
  readonly document?: PolicyDocument | undefined;
  readonly versionId?: string | undefined;
}

/** Every policy on the role: attached managed ones (as read) and inline ones. */
export const rolePolicies = (role: RoleState, input: RuleInput): RolePolicy[] => [
  ...role.attachedPolicies.map((attached): RolePolicy => {
    const read = input.snapshot.managedPolicies.get(attached.arn);
    const awsManaged = awsManagedPolicyKey(attached.arn) !== undefined;
    return {
      label: `${awsManaged ? 'AWS managed' : 'customer-managed'} policy ${attached.name}`,
      subject: attached.arn,
      inline: false,
      awsManaged,
      document: read?.status === 'found' ? read.value.document : undefined,
      versionId: read?.status === 'found' ? read.value.defaultVersionId : undefined,
    };
  }),
  ...role.inlinePolicies.map(
    (policy): RolePolicy => ({
      label: `inline policy ${policy.name}`,
      subject: policy.name,
      inline: true,
      awsManaged: false,
      document: policy.document,
    }),
  ),
];

const sources = (role: RoleState, policies: readonly RolePolicy[]): PolicySource[] =>
  policies.flatMap((p) =>
    p.document
      ? [
          {
            label: p.label,
            document: p.document,
            // An AWS managed policy cannot be edited: the fix is to detach it.
            ...(p.awsManaged
              ? { remove: `aws iam detach-role-policy --role-name ${role.name} --policy-arn ${p.subject}` }
              : {}),
          },
        ]
      : [],
  );

/** The role's boundary policy as a source, when it has one that could be read. */
const boundarySource = (role: RoleState, input: RuleInput): PolicySource | undefined => {
  if (!role.permissionsBoundaryArn) return undefined;
  const read = input.snapshot.managedPolicies.get(role.permissionsBoundaryArn);
  return read?.status === 'found' && read.value.document
    ? { label: `permissions boundary ${lastSegment(role.permissionsBoundaryArn)}`, document: read.value.document }
    : undefined;
};

const evaluators = new WeakMap<RoleState, PolicyEvaluator>();

/** The evaluator of the role's effective permissions (built once per role and run). */
export const roleEvaluator = (role: RoleState, input: RuleInput): PolicyEvaluator => {
  const cached = evaluators.get(role);
  if (cached) return cached;
  const evaluator = new PolicyEvaluator(sources(role, rolePolicies(role, input)), boundarySource(role, input));
  evaluators.set(role, evaluator);
  return evaluator;
};

/** True when the pinned document and the live one allow the same. */
const unchangedFromPin = (pinned: PolicyDocument | undefined, live: PolicyDocument | undefined): boolean =>
  pinned !== undefined && live !== undefined && sameAccess(diffPolicies(pinned, live));

/** The curated entry for a routine add-on policy on an instance or EKS node role, if the policy is one. */
export const routineAddOn = ({ kind, input }: RoleContext, policy: RolePolicy) =>
  policy.awsManaged && (kind === 'instance-role' || kind === 'eks-node-role')
    ? input.baseline.routineAddOns[lastSegment(policy.subject)]
    : undefined;

/** True when the role's baseline accepts this policy as it is: pinned and unchanged, or (not pinned) required or allowed by ARN. */
export const acceptedPolicy = (context: RoleContext, policy: RolePolicy): boolean => {
  const { expected } = context;
  // A routine add-on is reported on its own, with its real risk, not again by the risk classes.
  if (routineAddOn(context, policy)) return true;
  if (policy.inline)
    return unchangedFromPin(expected.allowedInlinePolicies[policy.subject] ?? undefined, policy.document);
  // A pinned document is accepted as recorded, not as it is now.
  const pinned = expected.pinnedPolicies[policy.subject];
  if (pinned) return unchangedFromPin(pinned.document, policy.document);
  return namesManagedPolicy(expected, policy.subject);
};

/** True when the expectation requires or allows the managed policy with this ARN. */
export const namesManagedPolicy = (expected: RoleContext['expected'], arn: string): boolean =>
  [...expected.allowedManagedPolicies, ...expected.requiredManagedPolicies.flat()].some((ref) =>
    policyRefMatches(ref, arn),
  );

/**
 * What the role's baseline accepts, as an evaluator: the accepted policies, plus the kind's allowed
 * actions on every resource, within the role's boundary.
 */
export const acceptedEvaluator = (context: RoleContext): PolicyEvaluator => {
  const { role, expected, input } = context;
  const accepted = sources(
    role,
    rolePolicies(role, input).filter((p) => acceptedPolicy(context, p)),
  );
  if (expected.allowedActions?.length) {
    accepted.push({
      label: 'actions the role kind may have',
      document: normalisePolicy({ Statement: [{ Effect: 'Allow', Action: expected.allowedActions, Resource: '*' }] }),
    });
  }
  return new PolicyEvaluator(accepted, boundarySource(role, input));
};

/** The scope risk probes are built in for one role. */
export const riskScope = (role: RoleState, input: RuleInput): RiskScope => ({
  partition: input.partition,
  account: input.account,
  regions: [...new Set(input.computeEnvironments.map((ce) => ce.region))].sort(),
  roleArn: role.arn,
});

/** Can the role do `action` on every resource of the action's type (the documented probes), with the extra request context? */
export const canEverywhere = (
  role: RoleState,
  input: RuleInput,
  action: string,
  context?: RequestContext,
): Decision => {
  const known = actionCatalog().get(action);
  if (!known) return 'no';
  return judgeEveryResource(roleEvaluator(role, input), known, riskScope(role, input), context).decision;
};

/** `policy Sid`, `policy #2`: the statements behind an answer, for people. */
export const describeRefs = (refs: readonly StatementRef[]): string =>
  refs.map((r) => `${r.policy} (statement ${r.statement})`).join(', ');

const READ_LEVELS = new Set(['List', 'Read']);
const SENSITIVE = new Set([...CREDENTIAL_ACTIONS, ...DATA_ACTIONS].map((a) => a.toLowerCase()));

/**
 * True when a document allows only List and Read actions (by the catalog's access levels) and none of
 * them reads secrets or data; a document naming an undocumented action is not read-only.
 */
export const isReadOnly = (document: PolicyDocument): boolean => {
  const { actions, unknown } = new PolicyEvaluator([{ label: '', document }]).candidateActions();
  return (
    unknown.length === 0 &&
    actions.every((a) => a.accessLevels.every((l) => READ_LEVELS.has(l)) && !SENSITIVE.has(a.key))
  );
};

/** True when every action the document may allow is one of `allowed` (wildcards expanded on both sides). */
export const onlyAllowedActions = (document: PolicyDocument, allowed: readonly string[]): boolean => {
  const catalog = actionCatalog();
  const permitted = new Set(allowed.flatMap((pattern) => catalog.expand(pattern)));
  const { actions, unknown } = new PolicyEvaluator([{ label: '', document }]).candidateActions();
  return unknown.length === 0 && actions.every((a) => permitted.has(a));
};
