import { actionCatalog, type CatalogAction } from './catalog.js';
import {
  evaluateConditions,
  type RequestContext,
  resolveVariables,
  type Truth,
  undecidedConditions,
} from './conditions.js';
import { type PolicyDocument, type Principals, type Statement, sourcedStatements } from './policy.js';
import { wildcardMatch } from './wildcard.js';

/** IAM's answer to one request: allowed, allowed only if an undecided condition holds, or not allowed. */
export type Decision = 'yes' | 'conditional' | 'no';

const RANK: Readonly<Record<Decision, number>> = { no: 0, conditional: 1, yes: 2 };

/** The weaker of two decisions (a permissions boundary intersects). */
export const weaker = (a: Decision, b: Decision): Decision => (RANK[a] <= RANK[b] ? a : b);

/** The stronger of two decisions (alternatives: either path suffices). */
export const stronger = (a: Decision, b: Decision): Decision => (RANK[a] >= RANK[b] ? a : b);

/** True when `a` allows strictly more than `b`. */
export const exceeds = (a: Decision, b: Decision): boolean => RANK[a] > RANK[b];

/** A policy and its document, named as a finding should name it. */
export interface PolicySource {
  /** e.g. `inline policy deploy`, `AWS managed policy AdministratorAccess`. */
  readonly label: string;
  readonly document: PolicyDocument;
  /** The CLI command that takes the whole policy off the principal, when editing it is not an option (AWS managed). */
  readonly remove?: string;
}

/** Where a statement stands: its policy and its Sid or index. */
export interface StatementRef {
  readonly policy: string;
  readonly statement: string;
  /** See {@link PolicySource.remove}. */
  readonly remove?: string;
}

/** A principal making a request, for trust policies: `AWS` with an ARN or account id, `Service`, `Federated`. */
export interface RequestPrincipal {
  readonly type: string;
  readonly value: string;
}

/** One request to judge. */
export interface EvaluationRequest {
  /** `service:Action`, any case. */
  readonly action: string;
  /** The resource ARN the request names, or `*` for actions that take no resource. */
  readonly resource?: string;
  readonly principal?: RequestPrincipal;
  readonly context?: RequestContext;
}

/** The evaluator's answer, with the statements behind it. */
export interface Answer {
  readonly decision: Decision;
  /** The Allow statements that grant it: unconditionally for `yes`, under an undecided condition for `conditional`. */
  readonly allowedBy: readonly StatementRef[];
  /** The undecided conditions of a `conditional` answer, as written. */
  readonly conditions: readonly string[];
  /** The Deny statement that refuses it, when one does. */
  readonly deniedBy?: StatementRef;
  /** The identity policies allow it but the permissions boundary does not (or only conditionally). */
  readonly limitedByBoundary: boolean;
}

interface Compiled {
  readonly statement: Statement;
  readonly ref: StatementRef;
  /** The services its Action/NotAction patterns can name; undefined when a pattern has a wildcard there. */
  readonly services: ReadonlySet<string> | undefined;
}

/** The services a list of action patterns can name, or undefined when one wildcards the service part. */
const servicesOf = (patterns: readonly string[] | undefined): ReadonlySet<string> | undefined => {
  if (!patterns) return undefined;
  const services = new Set<string>();
  for (const pattern of patterns) {
    const colon = pattern.indexOf(':');
    const service = colon === -1 ? pattern : pattern.slice(0, colon);
    if (colon === -1 || /[*?]/.test(service)) return undefined;
    services.add(service);
  }
  return services;
};

const ACCOUNT_ID = /^\d{12}$/;

/** True when a principal value in a policy names the request's principal. */
const principalValueMatches = (type: string, value: string, principal: RequestPrincipal): boolean => {
  if (type !== principal.type) return type === 'AWS' && value === '*';
  if (value === '*') return true;
  if (type !== 'AWS') return value === principal.value;
  // An account id (or its root ARN, normalised to the id) names every principal of that account.
  if (ACCOUNT_ID.test(value)) {
    const account = ACCOUNT_ID.test(principal.value) ? principal.value : principal.value.split(':')[4];
    return account === value;
  }
  return value === principal.value;
};

const principalsMatch = (principals: Principals, principal: RequestPrincipal): boolean =>
  Object.entries(principals).some(([type, values]) => values.some((v) => principalValueMatches(type, v, principal)));

/** `action` is lower-cased; a pattern of another service cannot match it, whatever its wildcards. */
const actionMatches = ({ statement, services }: Compiled, action: string): boolean => {
  const named = (patterns: readonly string[]) =>
    (services === undefined || services.has(action.slice(0, action.indexOf(':')))) &&
    patterns.some((pattern) => wildcardMatch(pattern, action, true));
  if (statement.actions) return named(statement.actions);
  if (statement.notActions) return !named(statement.notActions);
  return false;
};

/** Resource patterns may carry policy variables; one the context cannot resolve leaves the match undecided. */
const patternMatches = (patterns: readonly string[], resource: string, context: RequestContext): Truth => {
  let result: Truth = false;
  for (const pattern of patterns) {
    const resolved = resolveVariables(pattern, context);
    if (resolved === undefined) result = 'unknown';
    else if (wildcardMatch(resolved, resource)) return true;
  }
  return result;
};

const resourceMatches = (statement: Statement, resource: string | undefined, context: RequestContext): Truth => {
  // Trust policies have no Resource: the statement applies to the role itself.
  if (resource === undefined) return true;
  if (statement.resources) return patternMatches(statement.resources, resource, context);
  if (statement.notResources) {
    const hit = patternMatches(statement.notResources, resource, context);
    return hit === 'unknown' ? hit : !hit;
  }
  return true;
};

const principalMatches = (statement: Statement, principal: RequestPrincipal | undefined): boolean => {
  if (principal === undefined) return statement.principals === undefined && statement.notPrincipals === undefined;
  if (statement.principals) return principalsMatch(statement.principals, principal);
  if (statement.notPrincipals) return !principalsMatch(statement.notPrincipals, principal);
  return false;
};

/** Judges one set of policies (no boundary): explicit deny, then allow, three-valued. */
const judge = (
  statements: readonly Compiled[],
  request: EvaluationRequest,
): Omit<Answer, 'limitedByBoundary'> & { explicit: boolean } => {
  const context = request.context ?? {};
  const allowedBy: StatementRef[] = [];
  const conditionalBy: StatementRef[] = [];
  const conditions: string[] = [];
  for (const { statement, ref } of statements) {
    if (!principalMatches(statement, request.principal)) continue;
    const applies = resourceMatches(statement, request.resource, context);
    if (applies === false) continue;
    const holds = applies === 'unknown' ? 'unknown' : evaluateConditions(statement.conditions, context);
    if (statement.effect === 'Deny') {
      // A Deny whose condition the context cannot decide does not subtract: IAM denies only when it holds.
      if (holds === true) return { decision: 'no', allowedBy: [], conditions: [], deniedBy: ref, explicit: true };
      continue;
    }
    if (holds === true) allowedBy.push(ref);
    else if (holds === 'unknown') {
      conditionalBy.push(ref);
      conditions.push(
        ...(applies === 'unknown'
          ? [
              `Resource ${JSON.stringify(statement.resources ?? statement.notResources)} uses an unknown policy variable`,
            ]
          : undecidedConditions(statement.conditions, context)),
      );
    }
  }
  if (allowedBy.length > 0) return { decision: 'yes', allowedBy, conditions: [], explicit: false };
  if (conditionalBy.length > 0)
    return { decision: 'conditional', allowedBy: conditionalBy, conditions: [...new Set(conditions)], explicit: false };
  return { decision: 'no', allowedBy: [], conditions: [], explicit: false };
};

const contextKeys = new WeakMap<RequestContext, string>();

/** A context's identity for caching: contexts are reused objects, so their key is computed once. */
const contextKey = (context: RequestContext | undefined): string => {
  if (!context) return '';
  let key = contextKeys.get(context);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)));
    contextKeys.set(context, key);
  }
  return key;
};

const compile = (sources: readonly PolicySource[]): Compiled[] =>
  sources.flatMap((source) =>
    sourcedStatements(source.document).map(({ statement, label }) => ({
      statement,
      ref: { policy: source.label, statement: label, ...(source.remove ? { remove: source.remove } : {}) },
      services: servicesOf(statement.actions ?? statement.notActions),
    })),
  );

/**
 * IAM's evaluation for one principal: the union of its identity policies, minus explicit denies,
 * intersected with its permissions boundary when it has one. Organisation SCPs, resource policies and
 * session policies are outside it. Conditions are judged three-valued against the request context.
 */
export class PolicyEvaluator {
  private readonly identity: readonly Compiled[];
  private readonly boundary: readonly Compiled[] | undefined;
  private readonly identityByAction = new Map<string, { key: string; statements: readonly Compiled[] }>();
  private readonly boundaryByAction = new Map<string, { key: string; statements: readonly Compiled[] }>();
  private readonly answers = new Map<string, Answer>();
  private patterns: readonly string[] | undefined;
  private candidates:
    | { actions: CatalogAction[]; unknown: string[]; wildcardServices: ReadonlySet<string> }
    | undefined;

  public constructor(identity: readonly PolicySource[], boundary?: PolicySource) {
    this.identity = compile(identity);
    this.boundary = boundary ? compile([boundary]) : undefined;
  }

  /** Can the principal make this request: yes, conditionally, or no, and because of which statements. */
  public evaluate(request: EvaluationRequest): Answer {
    const action = request.action.toLowerCase();
    const own = this.matching(this.identity, this.identityByAction, action);
    const bound = this.boundary ? this.matching(this.boundary, this.boundaryByAction, action) : undefined;
    // Answers depend on the action only through the statements it matches: many actions share them.
    const key = `${own.key}/${bound?.key ?? '-'}|${request.resource ?? ''}|${request.principal ? `${request.principal.type}:${request.principal.value}` : ''}|${contextKey(request.context)}`;
    const cached = this.answers.get(key);
    if (cached) return cached;
    const answer = this.decide(own.statements, bound?.statements, request);
    this.answers.set(key, answer);
    return answer;
  }

  private decide(own: readonly Compiled[], bound: readonly Compiled[] | undefined, request: EvaluationRequest): Answer {
    const identity = judge(own, request);
    if (!bound || identity.decision === 'no') return { ...identity, limitedByBoundary: false };
    const limit = judge(bound, request);
    const decision = weaker(identity.decision, limit.decision);
    return {
      decision,
      allowedBy: decision === 'no' ? [] : identity.allowedBy,
      conditions: [...new Set([...identity.conditions, ...limit.conditions])],
      ...(limit.deniedBy ? { deniedBy: limit.deniedBy } : {}),
      limitedByBoundary: exceeds(identity.decision, limit.decision),
    };
  }

  /** The statements whose Action/NotAction names the action, and a key naming that set (cached per action). */
  private matching(
    statements: readonly Compiled[],
    cache: Map<string, { key: string; statements: readonly Compiled[] }>,
    action: string,
  ): { key: string; statements: readonly Compiled[] } {
    const cached = cache.get(action);
    if (cached) return cached;
    const service = action.slice(0, Math.max(0, action.indexOf(':')));
    // When no statement names the service, which statements apply is the same for all its actions.
    const whole = cache.get(`${service}:`) ?? this.serviceMatching(statements, service);
    cache.set(`${service}:`, whole);
    if (whole.key !== '?') return whole;
    const indices: number[] = [];
    statements.forEach((compiled, i) => {
      if (actionMatches(compiled, action)) indices.push(i);
    });
    const entry = { key: indices.join(','), statements: indices.map((i) => statements[i] as Compiled) };
    cache.set(action, entry);
    return entry;
  }

  /** The statements every action of a service matches when no statement names the service; key `?` otherwise. */
  private serviceMatching(
    statements: readonly Compiled[],
    service: string,
  ): { key: string; statements: readonly Compiled[] } {
    if (statements.some((c) => c.services === undefined || c.services.has(service)))
      return { key: '?', statements: [] };
    const indices = statements.flatMap((c, i) => (c.statement.notActions ? [i] : []));
    return { key: indices.join(','), statements: indices.map((i) => statements[i] as Compiled) };
  }

  /**
   * Which statements (identity and boundary) name the action: two actions with the same key get the same
   * answer for the same resource and context.
   */
  public statementKey(action: string): string {
    const key = action.toLowerCase();
    const own = this.matching(this.identity, this.identityByAction, key).key;
    return this.boundary ? `${own}/${this.matching(this.boundary, this.boundaryByAction, key).key}` : own;
  }

  /**
   * When every action of the service is allowed on every resource with no condition, and nothing can take
   * it away (no statement names the service, no Deny applies, no boundary): the statements that allow it.
   * A shortcut for whole-service questions, whose general answer judges each action.
   */
  public unconditionalService(service: string): readonly StatementRef[] | undefined {
    if (this.boundary) return undefined;
    const whole = this.matching(this.identity, this.identityByAction, `${service}:`);
    if (whole.key === '?' || whole.statements.some(({ statement }) => statement.effect === 'Deny')) return undefined;
    const refs = whole.statements
      .filter(({ statement }) => statement.resources?.includes('*') && statement.conditions === undefined)
      .map(({ ref }) => ref);
    return refs.length > 0 ? refs : undefined;
  }

  /** Every Resource and NotResource pattern of the identity policies and the boundary, as written. */
  public resourcePatterns(): readonly string[] {
    this.patterns ??= [
      ...new Set(
        [...this.identity, ...(this.boundary ?? [])].flatMap(({ statement }) => [
          ...(statement.resources ?? []),
          ...(statement.notResources ?? []),
        ]),
      ),
    ];
    return this.patterns;
  }

  /** The labels of the policies this evaluator judges (identity policies, not the boundary). */
  public policyLabels(): ReadonlySet<string> {
    return new Set(this.identity.map(({ ref }) => ref.policy));
  }

  /**
   * The statement that allows every action on every resource with no condition, when nothing can take
   * any of it away (no Deny statement, no boundary): a shortcut for the full-admin question, whose
   * general answer judges every action in the catalog.
   */
  public unconditionalAdmin(): StatementRef | undefined {
    if (this.boundary || this.identity.some(({ statement }) => statement.effect === 'Deny')) return undefined;
    return this.identity.find(
      ({ statement }) =>
        statement.actions?.some((a) => a === '*' || a === '*:*') &&
        statement.resources?.includes('*') &&
        statement.conditions === undefined,
    )?.ref;
  }

  /**
   * The documented actions some Allow statement of the identity policies names (expanding wildcards and
   * `NotAction` against the catalog), plus the written patterns that name no documented action. Only these
   * can be allowed; the evaluator still has to judge each.
   */
  public candidateActions(): {
    actions: readonly CatalogAction[];
    unknown: readonly string[];
    wildcardServices: ReadonlySet<string>;
  } {
    if (this.candidates) return this.candidates;
    const catalog = actionCatalog();
    const found = new Set<CatalogAction>();
    const unknown = new Set<string>();
    // Services some single wildcard (or a NotAction) names whole: listing every action by hand is not a wildcard.
    const wildcardServices = new Set<string>();
    const markWhole = (actions: readonly CatalogAction[]) => {
      const count = new Map<string, number>();
      for (const a of actions) count.set(a.service, (count.get(a.service) ?? 0) + 1);
      for (const [service, n] of count) if (n === catalog.service(service).length) wildcardServices.add(service);
    };
    for (const { statement } of this.identity) {
      if (statement.effect !== 'Allow') continue;
      if (statement.actions) {
        for (const pattern of statement.actions) {
          const expanded = catalog.expand(pattern);
          if (expanded.length === 0) unknown.add(pattern);
          if (/[*?]/.test(pattern)) markWhole(expanded);
          for (const action of expanded) found.add(action);
        }
      } else if (statement.notActions) {
        const excluded = new Set(statement.notActions.flatMap((p) => catalog.expand(p)));
        const kept = catalog.all().filter((action) => !excluded.has(action));
        markWhole(kept);
        for (const action of kept) found.add(action);
      }
    }
    this.candidates = { actions: [...found], unknown: [...unknown], wildcardServices };
    return this.candidates;
  }
}
