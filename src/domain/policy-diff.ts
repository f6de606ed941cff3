import { actionCatalog } from './catalog.js';
import { type Answer, PolicyEvaluator, type RequestPrincipal } from './evaluator.js';
import type { PolicyDocument, Statement } from './policy.js';

/** What changed in effective access between two documents. */
export interface PolicyDiff {
  /** Actions (or `Type:principal may action` for trust policies) allowed now that were not, or only under a condition. */
  readonly gained: readonly string[];
  /** Actions allowed before that are not now, or only under a condition. */
  readonly lost: readonly string[];
  /** Actions whose conditions changed with no clear direction. */
  readonly changed: readonly string[];
  /** Something is now allowed that was not: a security change. */
  readonly broadened: boolean;
  /** Something allowed before is not any more: Batch may break. */
  readonly narrowed: boolean;
}

const RANK = { no: 0, conditional: 1, yes: 2 } as const;

const patternsOf = (statements: readonly Statement[], pick: (s: Statement) => readonly string[] | undefined) => [
  ...new Set(statements.flatMap((s) => pick(s) ?? [])),
];

/** Probe values for a pattern: itself (wildcards as literal characters) and one instance of it. */
const probesOf = (pattern: string): string[] => [pattern, pattern.replaceAll('*', 'zq9').replaceAll('?', 'q')];

/** The actions either document can name: documented ones expanded from every pattern, and the unknown patterns themselves. */
const actionUniverse = (statements: readonly Statement[]): string[] => {
  const catalog = actionCatalog();
  const names = new Set<string>();
  for (const pattern of patternsOf(statements, (s) => s.actions)) {
    const expanded = catalog.expand(pattern);
    if (expanded.length === 0) names.add(pattern);
    for (const action of expanded) names.add(action.name);
  }
  if (statements.some((s) => s.notActions)) for (const action of catalog.all()) names.add(action.name);
  for (const pattern of patternsOf(statements, (s) => s.notActions))
    if (catalog.expand(pattern).length === 0) names.add(pattern);
  return [...names].sort();
};

type Probe = { action: string; resource?: string; principal?: RequestPrincipal };

const signature = (answer: Answer): string =>
  answer.decision === 'conditional' ? `conditional ${[...answer.conditions].sort().join(' & ')}` : answer.decision;

/** Groups actions by service for people: `s3:*` when every documented action of a service is in the list, a count when many are. */
const summarise = (items: readonly string[]): string[] => {
  const catalog = actionCatalog();
  const byService = new Map<string, string[]>();
  for (const item of items) {
    const service = item.slice(0, Math.max(0, item.indexOf(':'))).toLowerCase();
    byService.set(service, [...(byService.get(service) ?? []), item]);
  }
  return [...byService.entries()].flatMap(([service, list]) => {
    const all = catalog.service(service).length;
    if (all > 1 && list.length === all) return [`${service}:* (all ${all} actions)`];
    if (list.length > 5) {
      const names = list.slice(0, 3).map((a) => a.slice(a.indexOf(':') + 1));
      return [`${list.length} ${service} actions (${names.join(', ')}, …)`];
    }
    return list;
  });
};

const compare = (
  before: PolicyDocument,
  after: PolicyDocument,
  probes: readonly Probe[],
  label: (probe: Probe) => string,
): PolicyDiff => {
  const old = new PolicyEvaluator([{ label: 'before', document: before }]);
  const now = new PolicyEvaluator([{ label: 'after', document: after }]);
  const gained = new Set<string>();
  const lost = new Set<string>();
  const changed = new Set<string>();
  for (const probe of probes) {
    const a = old.evaluate(probe);
    const b = now.evaluate(probe);
    if (RANK[b.decision] > RANK[a.decision]) gained.add(label(probe));
    else if (RANK[b.decision] < RANK[a.decision]) lost.add(label(probe));
    else if (signature(a) !== signature(b)) changed.add(label(probe));
  }
  const sorted = (set: Set<string>) => summarise([...set].sort());
  return {
    gained: sorted(gained),
    lost: sorted(lost),
    changed: sorted(changed),
    broadened: gained.size > 0,
    narrowed: lost.size > 0,
  };
};

/**
 * Compares what two identity-policy documents allow, action by action, on the resources their patterns
 * name (each pattern, and an instance of it) and on `*`. Layout does not count: split or merged statements
 * with the same access are no change; `NotAction`/`NotResource` are judged by what they allow. Conditions
 * are compared as written, not solved: the same access under a differently written condition is `changed`.
 */
export const diffPolicies = (before: PolicyDocument, after: PolicyDocument): PolicyDiff => {
  const statements = [...before.statements, ...after.statements];
  const resources = [
    '*',
    ...new Set(
      [...patternsOf(statements, (s) => s.resources), ...patternsOf(statements, (s) => s.notResources)].flatMap(
        probesOf,
      ),
    ),
  ];
  const probes = actionUniverse(statements).flatMap((action) => resources.map((resource) => ({ action, resource })));
  return compare(before, after, probes, (p) => p.action);
};

const ASSUME_ACTIONS = [
  'sts:AssumeRole',
  'sts:AssumeRoleWithSAML',
  'sts:AssumeRoleWithWebIdentity',
  'sts:TagSession',
  'sts:SetSourceIdentity',
  'sts:SetContext',
];

/**
 * Compares what two trust policies let principals do: for every principal either names (and a principal
 * of another account, and an unknown service), every `sts:` action, allowed or not. Layout does not count.
 */
export const diffTrustPolicies = (before: PolicyDocument, after: PolicyDocument): PolicyDiff => {
  const statements = [...before.statements, ...after.statements];
  const principals = new Map<string, RequestPrincipal>();
  const add = (type: string, value: string) => principals.set(`${type}:${value}`, { type, value });
  for (const s of statements) {
    for (const [type, values] of Object.entries({ ...s.principals, ...s.notPrincipals })) {
      for (const value of values) add(type, value === '*' ? 'arn:aws:iam::000000000000:role/zq9-any' : value);
    }
  }
  add('AWS', 'arn:aws:iam::000000000000:role/zq9-any');
  add('Service', 'zq9.amazonaws.com');
  const probes = [...principals.values()].flatMap((principal) =>
    ASSUME_ACTIONS.map((action) => ({ action, principal })),
  );
  return compare(before, after, probes, (p) => `${p.principal?.type}:${p.principal?.value} may ${p.action}`);
};

/** True when two documents allow exactly the same (as {@link diffPolicies} judges it). */
export const sameAccess = (diff: PolicyDiff): boolean =>
  diff.gained.length === 0 && diff.lost.length === 0 && diff.changed.length === 0;

/** A one-paragraph account of a diff for people: direction, then what was gained, lost and changed (at most 10 each). */
export const describeDiff = (diff: PolicyDiff): string => {
  const direction =
    diff.broadened && diff.narrowed
      ? 'access broadened and narrowed'
      : diff.broadened
        ? 'access broadened (security)'
        : diff.narrowed
          ? 'access narrowed (Batch may break)'
          : diff.changed.length > 0
            ? 'same actions, different conditions'
            : 'same access, rewritten';
  const list = (label: string, items: readonly string[]) =>
    items.length === 0
      ? ''
      : `; ${label}: ${items.slice(0, 10).join(', ')}${items.length > 10 ? ` and ${items.length - 10} more` : ''}`;
  return `${direction}${list('gained', diff.gained)}${list('lost', diff.lost)}${list('conditions changed', diff.changed)}`;
};
