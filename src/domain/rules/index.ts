import { expectationFor } from '../baseline.js';
import { type Finding, type FindingDraft, mergeFindings } from '../finding.js';
import { type Dependent, resolvesTo } from '../references.js';
import { type RoleContext, type RuleInput, roleResource, useKind, usesByKind } from './context.js';
import { boundaryRules, identityRules } from './drift.js';
import { effectivePermissionRules } from './effective.js';
import { policyRules, requiredPolicyRules } from './policies.js';
import { foreignReferenceRules, settleSupersededRevisions, unresolvedUseFindings } from './resolution.js';
import { computeEnvironmentRules, missingRoleRules, profileRules } from './resources.js';
import { accountRules, serviceRoleReferenceRules } from './service-roles.js';
import { trustRules } from './trust.js';
import { eventBridgeRules, executionRoleRules, jobDefinitionRules } from './workloads.js';

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
    const resolving = entry.uses.filter((u) => resolvesTo(u, role.arn));
    yield* unresolvedUseFindings(
      input,
      role,
      entry.uses.filter((u) => !resolvesTo(u, role.arn)),
    );
    for (const [kind, dependents] of usesByKind(role, resolving, input.baseline)) {
      const uses = resolving.filter((u) => useKind(u, role, input.baseline) === kind);
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
      yield* policyRules(context);
      yield* effectivePermissionRules(context);
      yield* executionRoleRules(context);
      yield* eventBridgeRules(context);
      yield* boundaryRules(context);
      yield* identityRules(context);
      yield* serviceRoleReferenceRules(context);
    }
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
    settleSupersededRevisions(
      input,
      mergeFindings([
        ...profileRules(input),
        ...roleRules(input),
        ...jobDefinitionRules(input),
        ...accountRules(input),
        ...foreignReferenceRules(input),
      ]),
    ),
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

export { type RuleInput, serviceRoleKind } from './context.js';
