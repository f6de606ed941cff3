import type { Severity } from './model.js';
import type { PolicyDocument, Statement } from './policy.js';

/** Matches an IAM wildcard pattern (`*` any run, `?` one character) against a value. */
export const wildcardMatch = (pattern: string, value: string, ignoreCase = false): boolean => {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  // Iterative glob match with backtracking over the last `*`; linear in practice, no regex built from input.
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star !== -1) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
};

/** True when the statement's Action/NotAction covers `action` (case-insensitive). */
export const statementCoversAction = (statement: Statement, action: string): boolean => {
  if (statement.actions) return statement.actions.some((pattern) => wildcardMatch(pattern, action, true));
  if (statement.notActions) return !statement.notActions.some((pattern) => wildcardMatch(pattern, action, true));
  return false;
};

/** True when the statement's Resource/NotResource covers `resource`. */
export const statementCoversResource = (statement: Statement, resource: string): boolean => {
  if (statement.resources) return statement.resources.some((pattern) => wildcardMatch(pattern, resource));
  if (statement.notResources) return !statement.notResources.some((pattern) => wildcardMatch(pattern, resource));
  // An identity policy statement without Resource is invalid; a trust statement has none and applies to the role.
  return true;
};

/** Names no real action or resource: a pattern that matches them matches anything of that shape. */
const ANY_ACTION = 'zzq9unknownservice:zzq9UnknownAction';
const anyActionOf = (service: string): string => `${service}:zzq9UnknownAction`;
const anyRoleArn = (account: string): string => `arn:aws:iam::${account}:role/zzq9-any-role`;
const ANY_RESOURCE = 'arn:aws:zzq9:zz-region-9:000000000000:zzq9/any';

const hasConditionKey = (statement: Statement, key: string): boolean =>
  Object.values(statement.conditions ?? {}).some((block) => key in block);

/** A permission in an identity policy that the audit treats as dangerous. */
export interface DangerousGrant {
  readonly kind: 'full-admin' | 'not-action-allow' | 'iam-wildcard' | 'pass-role-any' | 'assume-role-any';
  readonly severity: Severity;
  readonly summary: string;
}

const PRIVILEGE_ESCALATION_ACTIONS = [
  'iam:PassRole',
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:CreatePolicyVersion',
  'iam:UpdateAssumeRolePolicy',
  'iam:CreateAccessKey',
];

const analyseStatement = (statement: Statement, account: string): DangerousGrant[] => {
  if (statement.effect !== 'Allow') return [];
  const grants: DangerousGrant[] = [];
  const anyResource = statementCoversResource(statement, ANY_RESOURCE);
  const conditioned = statement.conditions !== undefined;
  if (statementCoversAction(statement, ANY_ACTION) && anyResource) {
    if (statement.notActions) {
      const escalates = PRIVILEGE_ESCALATION_ACTIONS.some((action) => statementCoversAction(statement, action));
      grants.push({
        kind: 'not-action-allow',
        severity: escalates && !conditioned ? 'critical' : 'high',
        summary: `Allow with NotAction [${statement.notActions.join(', ')}] grants every other action on every resource`,
      });
    } else {
      grants.push({
        kind: 'full-admin',
        severity: conditioned ? 'high' : 'critical',
        summary: `Allow ${statement.actions?.join(', ')} on every resource: full administrator access`,
      });
    }
    return grants;
  }
  if (statementCoversAction(statement, anyActionOf('iam'))) {
    grants.push({
      kind: 'iam-wildcard',
      severity: 'critical',
      summary: 'grants every IAM action (iam:*): the role can give itself any permission',
    });
  } else if (
    statementCoversAction(statement, 'iam:PassRole') &&
    statementCoversResource(statement, anyRoleArn(account)) &&
    !hasConditionKey(statement, 'iam:passedtoservice')
  ) {
    grants.push({
      kind: 'pass-role-any',
      severity: 'high',
      summary: 'iam:PassRole on any role without an iam:PassedToService condition',
    });
  }
  if (
    statementCoversAction(statement, 'sts:AssumeRole') &&
    statementCoversResource(statement, anyRoleArn('999999999999'))
  ) {
    grants.push({
      kind: 'assume-role-any',
      severity: 'high',
      summary: 'sts:AssumeRole on any role in any account',
    });
  }
  return grants;
};

/** Lists the dangerous grants of an identity policy, most severe first, one per kind. */
export const dangerousGrants = (policy: PolicyDocument, account: string): DangerousGrant[] => {
  const byKind = new Map<string, DangerousGrant>();
  for (const statement of policy.statements) {
    for (const grant of analyseStatement(statement, account)) {
      const seen = byKind.get(grant.kind);
      if (!seen || (seen.severity !== 'critical' && grant.severity === 'critical')) byKind.set(grant.kind, grant);
    }
  }
  return [...byKind.values()].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
};

const READ_ONLY_PREFIXES = ['get', 'list', 'describe', 'batchget', 'head', 'query', 'scan', 'select', 'lookup'];

/**
 * True when every Allow statement grants only read-style actions (Get, List, Describe, ...).
 * Used to rate an unexpected policy low rather than medium.
 */
export const isReadOnlyPolicy = (policy: PolicyDocument): boolean =>
  policy.statements.every((statement) => {
    if (statement.effect === 'Deny') return true;
    if (!statement.actions) return false;
    return statement.actions.every((action) => {
      const name = action.split(':')[1] ?? '';
      return READ_ONLY_PREFIXES.some((prefix) => name.startsWith(prefix));
    });
  });
