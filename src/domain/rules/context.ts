import type { Baseline, RoleExpectation } from '../baseline.js';
import type { FindingResource } from '../finding.js';
import type { ComputeEnvironment, IamSnapshot, RoleKind, RoleState } from '../model.js';
import type { Dependent, ReferencePlan, RoleUse } from '../references.js';

/** Everything the rules look at. */
export interface RuleInput {
  readonly account: string;
  readonly partition: string;
  readonly baseline: Baseline;
  readonly computeEnvironments: readonly ComputeEnvironment[];
  readonly plan: ReferencePlan;
  readonly snapshot: IamSnapshot;
}

/** The documented trust policy for one service, as JSON for a CLI fix. */
export const trustDocument = (service: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });

/** A role as a finding's resource. */
export const roleResource = (role: RoleState): FindingResource => ({ type: 'role', arn: role.arn, name: role.name });

/** The role kind a `serviceRole` reference resolves to: the service-linked role is recognised by its path, never its name. */
export const serviceRoleKind = (role: RoleState, baseline: Baseline): RoleKind =>
  role.path === baseline.serviceLinkedRole.path ? 'service-linked-role' : 'service-role';

/** The kind one use of a role makes it. */
export const useKind = (use: RoleUse, role: RoleState, baseline: Baseline): RoleKind =>
  use.kind === 'service' ? serviceRoleKind(role, baseline) : use.kind;

/** A role's dependents, grouped by the kind each use makes it. */
export const usesByKind = (
  role: RoleState,
  uses: readonly RoleUse[],
  baseline: Baseline,
): Map<RoleKind, Dependent[]> => {
  const byKind = new Map<RoleKind, Dependent[]>();
  for (const use of uses) {
    const kind = useKind(use, role, baseline);
    byKind.set(kind, [...(byKind.get(kind) ?? []), use.dependent]);
  }
  return byKind;
};

/** Everything one rule family needs about one role used as one kind. */
export interface RoleContext {
  readonly role: RoleState;
  readonly kind: RoleKind;
  readonly uses: readonly RoleUse[];
  readonly expected: RoleExpectation;
  readonly base: { resource: FindingResource; roleKind: RoleKind; dependents: Dependent[] };
  readonly input: RuleInput;
}

/** Policies that belong to the other orchestration (ECS instance policy on an EKS node, or the reverse). */
export const wrongOrchestration = (kind: RoleKind, key: string, baseline: Baseline): boolean =>
  (kind === 'eks-node-role' && baseline.orchestrationPolicies.ecs.includes(key)) ||
  (kind === 'instance-role' && baseline.orchestrationPolicies.eks.includes(key));
