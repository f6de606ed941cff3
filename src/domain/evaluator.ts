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
}

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

const actionMatches = (statement: Statement, action: string): boolean => {
  if (statement.actions) return statement.actions.some((pattern) => wildcardMatch(pattern, action, true));
  if (statement.notActions) return !statement.notActions.some((pattern) => wildcardMatch(pattern, action, true));
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
  const action = request.action.toLowerCase();
  const allowedBy: StatementRef[] = [];
  const conditionalBy: StatementRef[] = [];
  const conditions: string[] = [];
  for (const { statement, ref } of statements) {
    if (!actionMatches(statement, action) || !principalMatches(statement, request.principal)) continue;
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

const compile = (sources: readonly PolicySource[]): Compiled[] =>
  sources.flatMap((source) =>
    sourcedStatements(source.document).map(({ statement, label }) => ({
      statement,
      ref: { policy: source.label, statement: label, ...(source.remove ? { remove: source.remove } : {}) },
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
  private candidates:
    | { actions: CatalogAction[]; unknown: string[]; wildcardServices: ReadonlySet<string> }
    | undefined;

  public constructor(identity: readonly PolicySource[], boundary?: PolicySource) {
    this.identity = compile(identity);
    this.boundary = boundary ? compile([boundary]) : undefined;
  }

  /** Can the principal make this request: yes, conditionally, or no, and because of which statements. */
  public evaluate(request: EvaluationRequest): Answer {
    const own = judge(this.identity, request);
    if (!this.boundary || own.decision === 'no') return { ...own, limitedByBoundary: false };
    const bound = judge(this.boundary, request);
    const decision = weaker(own.decision, bound.decision);
    return {
      decision,
      allowedBy: decision === 'no' ? [] : own.allowedBy,
      conditions: [...new Set([...own.conditions, ...bound.conditions])],
      ...(bound.deniedBy ? { deniedBy: bound.deniedBy } : {}),
      limitedByBoundary: exceeds(own.decision, bound.decision),
    };
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
