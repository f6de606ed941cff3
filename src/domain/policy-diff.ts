import { wildcardMatch } from './permissions.js';
import { canonicalJson, type PolicyDocument, type Statement } from './policy.js';

/** One permission: an effect, one action (or NotAction) pattern, one resource pattern, and its conditions. */
export interface Permission {
  readonly effect: 'Allow' | 'Deny';
  readonly action: string;
  readonly resource: string;
  /** Canonical JSON of the statement's principals and conditions; empty when it has neither. */
  readonly scope: string;
}

/** What changed between two documents, permission by permission. */
export interface PolicyDiff {
  readonly added: readonly Permission[];
  readonly removed: readonly Permission[];
  /** Something is now allowed that was not (or no longer denied): a security change. */
  readonly broadened: boolean;
  /** Something allowed before is not any more: Batch may break. */
  readonly narrowed: boolean;
}

const permissions = (policy: PolicyDocument): Permission[] =>
  policy.statements.flatMap((s: Statement) => {
    const actions = s.actions ?? (s.notActions ?? []).map((a) => `NotAction:${a}`);
    const resources = s.resources ?? (s.notResources ? s.notResources.map((r) => `NotResource:${r}`) : ['*']);
    const scope =
      s.principals || s.notPrincipals || s.conditions
        ? canonicalJson({ principals: s.principals, notPrincipals: s.notPrincipals, conditions: s.conditions })
        : '';
    return actions.flatMap((action) => resources.map((resource) => ({ effect: s.effect, action, resource, scope })));
  });

const key = (p: Permission): string => `${p.effect}|${p.action}|${p.resource}|${p.scope}`;

/** `wide` grants at least what `narrow` grants: same effect, wildcard-covering action and resource, no extra condition. */
const covers = (wide: Permission, narrow: Permission): boolean =>
  wide.effect === narrow.effect &&
  (wide.scope === '' || wide.scope === narrow.scope) &&
  wildcardMatch(wide.action, narrow.action, true) &&
  wildcardMatch(wide.resource, narrow.resource);

/**
 * Compares two documents permission by permission. An added Allow that an old Allow already covered
 * (`s3:*` before, `s3:GetObject` now) does not count as broadening; a removed one that a new Allow
 * still covers does not count as narrowing. Deny works the other way round.
 */
export const diffPolicies = (before: PolicyDocument, after: PolicyDocument): PolicyDiff => {
  const old = permissions(before);
  const now = permissions(after);
  const oldKeys = new Set(old.map(key));
  const newKeys = new Set(now.map(key));
  const added = now.filter((p) => !oldKeys.has(key(p)));
  const removed = old.filter((p) => !newKeys.has(key(p)));
  const newlyAllowed = added.some((p) => p.effect === 'Allow' && !old.some((o) => covers(o, p)));
  const noLongerDenied = removed.some((p) => p.effect === 'Deny' && !now.some((n) => covers(n, p)));
  const noLongerAllowed = removed.some((p) => p.effect === 'Allow' && !now.some((n) => covers(n, p)));
  const newlyDenied = added.some((p) => p.effect === 'Deny' && !old.some((o) => covers(o, p)));
  return {
    added,
    removed,
    broadened: newlyAllowed || noLongerDenied,
    narrowed: noLongerAllowed || newlyDenied,
  };
};

const describePermission = (p: Permission): string =>
  `${p.effect} ${p.action} on ${p.resource}${p.scope ? ` when ${p.scope}` : ''}`;

/** A one-paragraph account of a diff for people: direction, then the permissions added and removed (at most 10 each). */
export const describeDiff = (diff: PolicyDiff): string => {
  const direction =
    diff.broadened && diff.narrowed
      ? 'access broadened and narrowed'
      : diff.broadened
        ? 'access broadened (security)'
        : diff.narrowed
          ? 'access narrowed (Batch may break)'
          : 'same access, rewritten';
  const list = (label: string, items: readonly Permission[]) =>
    items.length === 0
      ? ''
      : `; ${label}: ${items.slice(0, 10).map(describePermission).join(', ')}${items.length > 10 ? ` and ${items.length - 10} more` : ''}`;
  return `${direction}${list('added', diff.added)}${list('removed', diff.removed)}`;
};
