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

const contexts = new WeakMap<RiskScope, Map<MethodStep | undefined, RequestContext>>();

/**
 * The request context a probe carries: what the auditor knows of the principal, what a caller controls,
 * and what the step's request adds. One object per scope and step, so the evaluator can cache by it.
 */
const contextFor = (scope: RiskScope, step?: MethodStep): RequestContext => {
  const byStep = contexts.get(scope) ?? new Map<MethodStep | undefined, RequestContext>();
  contexts.set(scope, byStep);
  const cached = byStep.get(step);
  if (cached) return cached;
  const context: RequestContext = {
    'aws:principalarn': [scope.roleArn],
    'aws:principalaccount': [scope.account],
    'aws:principaltype': ['AssumedRole'],
    // Whoever holds the credentials chooses to call over TLS.
    'aws:securetransport': ['true'],
    ...step?.context,
  };
  byStep.set(step, context);
  return context;
};

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
  const context = contextFor(scope, step);
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

const probeCache = new Map<string, readonly string[]>();

/** The probe ARNs of "any resource of the action's types" (one per type) in a region; `*` for actions without one. */
const everyResourceProbes = (action: CatalogAction, scope: RiskScope, region: string): readonly string[] => {
  if (action.resourceArns.length === 0) return ['*'];
  const key = `${scope.partition}|${scope.account}|${region}|${action.key}`;
  let probes = probeCache.get(key);
  if (!probes) {
    probes = action.resourceArns.map((arn) => substitute(arn, scope, region));
    probeCache.set(key, probes);
  }
  return probes;
};

const RANK: Readonly<Record<Decision, number>> = { no: 0, conditional: 1, yes: 2 };

const regionCache = new WeakMap<PolicyEvaluator, Map<string, readonly string[]>>();

/**
 * The audited regions whose probes the evaluator can tell apart: those its resource patterns name, and
 * one for all the others (patterns that name none of them treat them alike). All of them when a pattern
 * has a partial wildcard or a variable in its region part.
 */
const distinctRegions = (evaluator: PolicyEvaluator, scope: RiskScope): readonly string[] => {
  const regions = scope.regions.length > 0 ? scope.regions : ['us-east-1'];
  const byScope = regionCache.get(evaluator) ?? new Map<string, readonly string[]>();
  regionCache.set(evaluator, byScope);
  const key = regions.join(',');
  const cached = byScope.get(key);
  if (cached) return cached;
  const patterns = evaluator.resourcePatterns();
  const partial = patterns.some((p) => {
    const region = p.split(':')[3];
    return p.includes('${') || (region !== undefined && region !== '*' && /[*?]/.test(region));
  });
  const named = regions.filter((r) => patterns.some((p) => p.includes(r)));
  const other = regions.find((r) => !named.includes(r));
  const result = partial ? regions : [...named, ...(other ? [other] : [])];
  byScope.set(key, result);
  return result;
};

/**
 * Can the evaluator's principal do `action` on every resource of some resource type of the action, in
 * every audited region? Answers are those that decided. Written as plain loops: a role with `NotAction`
 * asks this for every action in the catalog.
 */
export const judgeEveryResource = (
  evaluator: PolicyEvaluator,
  action: CatalogAction,
  scope: RiskScope,
  extra?: RequestContext,
): Judged => {
  const context = extra ? { ...contextFor(scope), ...extra } : contextFor(scope);
  const regional = action.resourceArns.some((arn) => arn.includes('${Region}'));
  const regions = regional ? distinctRegions(evaluator, scope) : [scope.regions[0] ?? 'us-east-1'];
  let overall: Decision = 'yes';
  let answers: Answer[] = [];
  for (const region of regions) {
    let best: Decision = 'no';
    let bestAnswers: Answer[] = [];
    for (const resource of everyResourceProbes(action, scope, region)) {
      const answer = evaluator.evaluate({ action: action.name, resource, context });
      if (RANK[answer.decision] > RANK[best]) {
        best = answer.decision;
        bestAnswers = [answer];
      } else if (answer.decision === best && best !== 'no') {
        bestAnswers.push(answer);
      }
    }
    if (best === 'no') return { decision: 'no', answers: [] };
    if (RANK[best] < RANK[overall]) {
      overall = best;
      answers = bestAnswers;
    } else if (best === overall) {
      answers.push(...bestAnswers);
    }
  }
  return { decision: overall, answers };
};

const refsOf = (answers: readonly Answer[]): StatementRef[] => {
  const seen = new Map<string, StatementRef>();
  for (const answer of answers) for (const ref of answer.allowedBy) seen.set(`${ref.policy}|${ref.statement}`, ref);
  return [...seen.values()];
};

const conditionsOf = (answers: readonly Answer[]): string[] => [...new Set(answers.flatMap((a) => a.conditions))];

/**
 * The weakest decision over many actions on every resource, stopping at the first `no`. Actions that the
 * same statements name and that take the same resource types get the same answer, so one of each group
 * is judged: a `NotAction` statement names the whole catalog, but only a few thousand groups.
 */
const weakestOver = (evaluator: PolicyEvaluator, actions: readonly CatalogAction[], scope: RiskScope): Judged => {
  const seen = new Set<string>();
  let decision: Decision = 'yes';
  const answers: Answer[] = [];
  for (const action of actions) {
    const shortcut = evaluator.unconditionalService(action.service);
    if (shortcut) {
      if (!seen.has(action.service)) {
        seen.add(action.service);
        answers.push({ decision: 'yes', allowedBy: shortcut, conditions: [], limitedByBoundary: false });
      }
      continue;
    }
    const group = `${evaluator.statementKey(action.key)}#${action.resourceGroup}`;
    if (seen.has(group)) continue;
    seen.add(group);
    const judged = judgeEveryResource(evaluator, action, scope);
    if (judged.decision === 'no') return { decision: 'no', answers: [] };
    if (RANK[judged.decision] < RANK[decision]) decision = judged.decision;
    answers.push(...judged.answers);
  }
  return { decision, answers };
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
    const { decision, answers } = weakestOver(actual, candidates, scope);
    if (decision !== 'no' && exceeds(decision, weakestOver(accepted, candidates, scope).decision)) {
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

  const candidateSet = new Set(candidates);
  const isCandidate = (name: string): boolean => {
    const action = catalog.get(name);
    return action !== undefined && candidateSet.has(action);
  };
  for (const method of ESCALATION_METHODS) {
    // No Allow names one of its actions: nothing to judge.
    if (!method.steps.every((step) => isCandidate(step.action))) continue;
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

  const acceptedPolicies = accepted.policyLabels();
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

  const wildcards: [CatalogAction, Judged][] = [];
  const wildcardServices = new Set<string>();
  for (const service of whole) {
    // A whole service: every one of its actions is a candidate.
    const actions = catalog.service(service);
    const { decision, answers: wildcardAnswers } = weakestOver(actual, actions, scope);
    if (decision === 'no') continue;
    if (!exceeds(decision, weakestOver(accepted, actions, scope).decision)) continue;
    wildcardServices.add(service);
    // The statements behind the wildcard: those of policies the baseline does not accept.
    const refs = new Map<string, StatementRef>();
    const conditions = new Set<string>();
    for (const answer of wildcardAnswers) {
      for (const ref of answer.allowedBy)
        if (!acceptedPolicies.has(ref.policy)) refs.set(`${ref.policy}|${ref.statement}`, ref);
      for (const condition of answer.conditions) conditions.add(condition);
    }
    const summary: Answer = {
      decision,
      allowedBy: [...refs.values()],
      conditions: [...conditions],
      limitedByBoundary: false,
    };
    const first = actions[0];
    if (first)
      wildcards.push([
        { ...first, name: `${service}:*` },
        { decision, answers: [summary] },
      ]);
  }
  classGrant(
    'service-wildcard',
    (names) => `every action of ${names} on every resource`,
    'Replace the service wildcard with the actions the role needs',
    wildcards,
  );

  const management = catalog
    .withAccessLevel('Permissions management')
    .filter((a) => candidateSet.has(a) && !METHOD_ACTIONS.has(a.key) && !wildcardServices.has(a.service))
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
