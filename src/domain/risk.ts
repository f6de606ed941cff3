import { actionCatalog, type CatalogAction } from './catalog.js';
import type { RequestContext } from './conditions.js';
import {
  type Answer,
  type Decision,
  exceeds,
  type PolicyEvaluator,
  type StatementRef,
  stronger,
  weaker,
} from './evaluator.js';
import {
  CREDENTIAL_ACTIONS,
  DATA_ACTIONS,
  ESCALATION_METHODS,
  type EscalationMethod,
  type MethodStep,
  type RiskClass,
} from './risk-data.js';

/** Where the audited role lives: what probe ARNs and the request context are built from. */
export interface RiskScope {
  readonly partition: string;
  readonly account: string;
  /** The audited regions; a grant reaches "every resource" when it covers any resource of the type in each. */
  readonly regions: readonly string[];
  readonly roleArn: string;
}

/** One risky grant the role has beyond what its baseline accepts. */
export interface RiskGrant {
  readonly riskClass: RiskClass;
  /** The method id for privilege escalation, the class otherwise. */
  readonly id: string;
  readonly title: string;
  readonly decision: Exclude<Decision, 'no'>;
  /** The actions (as AWS spells them) that make it up. */
  readonly actions: readonly string[];
  readonly allowedBy: readonly StatementRef[];
  /** Undecided conditions when the grant is conditional. */
  readonly conditions: readonly string[];
  readonly fix: string;
  readonly source?: string;
  /**
   * For a service wildcard: the other grants it contains (escalation methods, credential or data
   * actions of the same services), reported inside it rather than again on their own.
   */
  readonly includes?: readonly RiskGrant[];
}

/** The account id a probe uses for "another account": never the audited one. */
const otherAccount = (account: string): string => (account === '000000000000' ? '000000000001' : '000000000000');

const substitute = (template: string, scope: RiskScope, region: string): string =>
  template
    .replaceAll('${Partition}', scope.partition)
    .replaceAll('${Account}', scope.account)
    .replaceAll('${Region}', region)
    .replaceAll('${Other}', otherAccount(scope.account))
    .replace(/\$\{[^}]+\}/g, 'zq9-any');

const ENTITY: Readonly<Record<string, string>> = {
  role: 'role/zq9-any',
  user: 'user/zq9-any',
  group: 'group/zq9-any',
  policy: 'policy/zq9-any',
};

/** The probe ARNs of one step resource: one per audited region for regional resources. */
const stepProbes = (resource: string, scope: RiskScope): string[] => {
  if (resource === 'self') return [scope.roleArn];
  const entity = ENTITY[resource];
  if (entity) return [`arn:${scope.partition}:iam::${scope.account}:${entity}`];
  if (!resource.includes('${Region}')) return [substitute(resource, scope, '')];
  return scope.regions.map((region) => substitute(resource, scope, region));
};

/** The request context every probe carries: what the auditor knows of the principal, and what a caller controls. */
export const baseContext = (scope: RiskScope): RequestContext => ({
  'aws:principalarn': [scope.roleArn],
  'aws:principalaccount': [scope.account],
  'aws:principaltype': ['AssumedRole'],
  // Whoever holds the credentials chooses to call over TLS.
  'aws:securetransport': ['true'],
});

interface Judged {
  readonly decision: Decision;
  readonly answers: readonly Answer[];
}

const combine = (
  answers: readonly Answer[],
  pick: (a: Decision, b: Decision) => Decision,
  start: Decision,
): Judged => ({
  decision: answers.reduce<Decision>((acc, a) => pick(acc, a.decision), start),
  answers,
});

/** Judges one method step: any of its resources, in any audited region, suffices. */
const judgeStep = (evaluator: PolicyEvaluator, step: MethodStep, scope: RiskScope): Judged => {
  const context = { ...baseContext(scope), ...step.context };
  const answers = step.resources
    .flatMap((resource) => stepProbes(resource, scope))
    .map((resource) => evaluator.evaluate({ action: step.action, resource, context }));
  return combine(answers, stronger, 'no');
};

/** Judges a method: every step must be allowed. */
const judgeMethod = (evaluator: PolicyEvaluator, method: EscalationMethod, scope: RiskScope): Judged => {
  const steps = method.steps.map((step) => judgeStep(evaluator, step, scope));
  return {
    decision: steps.reduce<Decision>((acc, s) => weaker(acc, s.decision), 'yes'),
    answers: steps.flatMap((s) => s.answers.filter((a) => a.decision === s.decision)),
  };
};

/** The probe ARNs of "any resource of the action's types" (one per type and region); `*` for actions without one. */
const everyResourceProbes = (action: CatalogAction, scope: RiskScope, region: string): string[] =>
  action.resourceArns.length === 0 ? ['*'] : action.resourceArns.map((arn) => substitute(arn, scope, region));

/**
 * Can the evaluator's principal do `action` on every resource of some resource type of the action, in
 * every audited region? Answers are those of the region that decided.
 */
export const judgeEveryResource = (evaluator: PolicyEvaluator, action: CatalogAction, scope: RiskScope): Judged => {
  const context = baseContext(scope);
  const regions = scope.regions.length > 0 ? scope.regions : ['us-east-1'];
  const perRegion = regions.map((region) =>
    combine(
      everyResourceProbes(action, scope, region).map((resource) =>
        evaluator.evaluate({ action: action.name, resource, context }),
      ),
      stronger,
      'no',
    ),
  );
  const decision = perRegion.reduce<Decision>((acc, r) => weaker(acc, r.decision), 'yes');
  return { decision, answers: perRegion.flatMap((r) => r.answers.filter((a) => a.decision === decision)) };
};

const refsOf = (answers: readonly Answer[]): StatementRef[] => {
  const seen = new Map<string, StatementRef>();
  for (const answer of answers) for (const ref of answer.allowedBy) seen.set(`${ref.policy}|${ref.statement}`, ref);
  return [...seen.values()];
};

const conditionsOf = (answers: readonly Answer[]): string[] => [...new Set(answers.flatMap((a) => a.conditions))];

/** The weakest decision over some actions on every resource, stopping at the first `no`. */
const weakestEverywhere = (
  evaluator: PolicyEvaluator,
  actions: readonly CatalogAction[],
  scope: RiskScope,
): Decision => {
  let result: Decision = 'yes';
  for (const action of actions) {
    result = weaker(result, judgeEveryResource(evaluator, action, scope).decision);
    if (result === 'no') break;
  }
  return result;
};

/** Actions named by the escalation methods: reported there, not again as permissions management. */
const METHOD_ACTIONS = new Set(ESCALATION_METHODS.flatMap((m) => m.steps.map((s) => s.action.toLowerCase())));

/**
 * The risky grants `actual` has that `accepted` (the role's baseline: its documented and
 * team-accepted policies) does not: full admin, privilege-escalation methods, credentials exposure,
 * data access on every resource, permissions management on every resource, and whole-service wildcards.
 * Full admin, when unconditional, is reported alone: it subsumes the rest.
 */
export const analyseRisk = (actual: PolicyEvaluator, accepted: PolicyEvaluator, scope: RiskScope): RiskGrant[] => {
  const grants: RiskGrant[] = [];
  const everyCache = new Map<CatalogAction, Judged>();
  const every = (action: CatalogAction): Judged => {
    const cached = everyCache.get(action);
    if (cached) return cached;
    const judged = judgeEveryResource(actual, action, scope);
    everyCache.set(action, judged);
    return judged;
  };
  /** The decision `actual` has beyond `accepted` for one action on every resource, or undefined. */
  const beyond = (action: CatalogAction): Judged | undefined => {
    const own = every(action);
    if (own.decision === 'no') return undefined;
    return exceeds(own.decision, judgeEveryResource(accepted, action, scope).decision) ? own : undefined;
  };
  const classGrant = (
    riskClass: RiskClass,
    title: (names: string) => string,
    fix: string,
    found: readonly [CatalogAction, Judged][],
  ): void => {
    if (found.length === 0) return;
    const decision = found.reduce<Decision>((acc, [, j]) => stronger(acc, j.decision), 'no');
    const answers = found.flatMap(([, j]) => j.answers);
    const names = found.map(([a]) => a.name);
    grants.push({
      riskClass,
      id: riskClass,
      title: title(
        names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', '),
      ),
      decision: decision === 'yes' ? 'yes' : 'conditional',
      actions: names,
      allowedBy: refsOf(answers),
      conditions: decision === 'yes' ? [] : conditionsOf(answers),
      fix,
    });
  };

  const admin = actual.unconditionalAdmin();
  if (admin && !accepted.unconditionalAdmin()) {
    return [
      {
        riskClass: 'full-admin',
        id: 'full-admin',
        title: 'full administrator access: every action on every resource',
        decision: 'yes',
        actions: ['*'],
        allowedBy: [admin],
        conditions: [],
        fix: 'Replace the statement with the actions and resources the role needs',
      },
    ];
  }
  const catalog = actionCatalog();
  const { actions: candidates, wildcardServices: whole } = actual.candidateActions();
  if (candidates.length === catalog.size) {
    const found = candidates.map((a) => [a, every(a)] as const);
    const decision = found.reduce<Decision>((acc, [, j]) => weaker(acc, j.decision), 'yes');
    if (decision !== 'no' && exceeds(decision, weakestEverywhere(accepted, candidates, scope))) {
      const answers = found.flatMap(([, j]) => j.answers);
      grants.push({
        riskClass: 'full-admin',
        id: 'full-admin',
        title: 'full administrator access: every action on every resource',
        decision,
        actions: ['*'],
        allowedBy: refsOf(answers).slice(0, 10),
        conditions: decision === 'yes' ? [] : conditionsOf(answers),
        fix: 'Replace the statement with the actions and resources the role needs',
      });
      if (decision === 'yes') return grants;
    }
  }

  for (const method of ESCALATION_METHODS) {
    const own = judgeMethod(actual, method, scope);
    if (own.decision === 'no' || !exceeds(own.decision, judgeMethod(accepted, method, scope).decision)) continue;
    grants.push({
      riskClass: 'privilege-escalation',
      id: method.id,
      title: method.title,
      decision: own.decision,
      actions: [...new Set(method.steps.map((s) => s.action))],
      allowedBy: refsOf(own.answers),
      conditions: own.decision === 'yes' ? [] : conditionsOf(own.answers),
      fix: method.fix,
      source: method.source,
    });
  }

  const candidateSet = new Set(candidates);
  const listed = (names: readonly string[]): [CatalogAction, Judged][] =>
    names.flatMap((name) => {
      const action = catalog.get(name);
      const judged = action && candidateSet.has(action) ? beyond(action) : undefined;
      return action && judged ? [[action, judged] as [CatalogAction, Judged]] : [];
    });
  classGrant(
    'credentials-exposure',
    (names) => `reads every secret or issues credentials: ${names} on every resource`,
    'Scope the statement to the secrets, parameters and principals the workload uses',
    listed(CREDENTIAL_ACTIONS),
  );
  classGrant(
    'data-access',
    (names) => `reads every object, key or table: ${names} on every resource`,
    'Scope the statement to the buckets, keys and tables the workload uses',
    listed(DATA_ACTIONS),
  );

  const wholeServices = new Map<string, CatalogAction[]>();
  for (const action of candidates)
    wholeServices.set(action.service, [...(wholeServices.get(action.service) ?? []), action]);
  const wildcards: [CatalogAction, Judged][] = [];
  const wildcardServices = new Set<string>();
  for (const [service, actions] of wholeServices) {
    if (!whole.has(service)) continue;
    let decision: Decision = 'yes';
    for (const action of actions) {
      decision = weaker(decision, every(action).decision);
      if (decision === 'no') break;
    }
    if (decision === 'no') continue;
    if (!exceeds(decision, weakestEverywhere(accepted, actions, scope))) continue;
    wildcardServices.add(service);
    // The statements behind the wildcard: those granting what the baseline does not.
    const answers = actions.flatMap((a) => beyond(a)?.answers ?? []);
    const first = actions[0];
    if (first)
      wildcards.push([
        { ...first, name: `${service}:*` },
        { decision, answers },
      ]);
  }
  classGrant(
    'service-wildcard',
    (names) => `every action of ${names} on every resource`,
    'Replace the service wildcard with the actions the role needs',
    wildcards,
  );

  const management = candidates
    .filter(
      (a) =>
        a.accessLevels.includes('Permissions management') &&
        !METHOD_ACTIONS.has(a.key) &&
        !wildcardServices.has(a.service),
    )
    .flatMap((a) => {
      const judged = beyond(a);
      return judged ? [[a, judged] as [CatalogAction, Judged]] : [];
    });
  classGrant(
    'permissions-management',
    (names) => `can change who may access resources: ${names} on every resource`,
    'Remove the permissions-management actions, or scope them to the resources the workload owns',
    management,
  );
  return foldIntoWildcards(grants, wildcardServices);
};

const serviceOf = (action: string): string => action.slice(0, Math.max(0, action.indexOf(':'))).toLowerCase();

/**
 * One statement with `iam:*` would otherwise be a dozen findings: a grant whose actions all belong to
 * services the role holds whole is reported inside that service-wildcard grant.
 */
const foldIntoWildcards = (grants: RiskGrant[], services: ReadonlySet<string>): RiskGrant[] => {
  const wildcard = grants.find((g) => g.riskClass === 'service-wildcard');
  if (!wildcard) return grants;
  const folded = grants.filter(
    (g) =>
      g !== wildcard &&
      g.riskClass !== 'full-admin' &&
      !exceeds(g.decision, wildcard.decision) &&
      g.actions.every((a) => services.has(serviceOf(a))),
  );
  if (folded.length === 0) return grants;
  return grants.filter((g) => !folded.includes(g)).map((g) => (g === wildcard ? { ...g, includes: folded } : g));
};
