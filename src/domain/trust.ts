import type { Severity } from './model.js';
import type { PolicyDocument, Statement } from './policy.js';
import { wildcardMatch } from './wildcard.js';

const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:AssumeRoleWithSAML'];

/** A principal in a trust policy that the role's baseline does not allow. */
export interface UnexpectedPrincipal {
  /** `AWS:123456789012`, `Service:lambda.amazonaws.com`, `AWS:*`, ... */
  readonly principal: string;
  readonly severity: Severity;
  readonly reason: string;
}

/** What a trust policy lets the expected service and everyone else do. */
export interface TrustAnalysis {
  /** The expected service may assume the role from this account. */
  readonly serviceCanAssume: boolean;
  /** Why it cannot, when it cannot. */
  readonly blockedBecause?: string;
  readonly unexpected: readonly UnexpectedPrincipal[];
  /** Some statement trusting the service carries `aws:SourceAccount` or `aws:SourceArn`. */
  readonly hasConfusedDeputyCondition: boolean;
}

/** True when the statement's Action/NotAction names `action` (case-insensitive). */
const statementCoversAction = (statement: Statement, action: string): boolean =>
  statement.actions
    ? statement.actions.some((pattern) => wildcardMatch(pattern, action, true))
    : !(statement.notActions ?? []).some((pattern) => wildcardMatch(pattern, action, true));

const coversAssume = (statement: Statement): boolean =>
  ASSUME_ACTIONS.some((action) => statementCoversAction(statement, action));

/** A role's, user's or group's unique id (`AROA…`, `AIDA…`, `AGPA…`), as IAM shows a deleted principal. */
const UNIQUE_ID = /^A(ROA|IDA|GPA)[A-Z0-9]{12,}$/;

const accountOf = (principal: string): string | undefined =>
  /^\d{12}$/.test(principal) ? principal : /^arn:[a-z-]+:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];

const conditionValues = (statement: Statement, key: string): string[] =>
  Object.entries(statement.conditions ?? {})
    .filter(([operator]) => !operator.startsWith('StringNot') && !operator.startsWith('ArnNot'))
    .flatMap(([, block]) => block[key] ?? []);

/** A SourceAccount/SourceArn condition that names only other accounts stops the service from assuming the role. */
const excludesAccount = (statement: Statement, account: string): string | undefined => {
  const accounts = conditionValues(statement, 'aws:sourceaccount');
  if (accounts.length > 0 && !accounts.includes(account)) {
    return `its aws:SourceAccount condition allows only ${accounts.join(', ')}`;
  }
  const arns = conditionValues(statement, 'aws:sourcearn');
  const arnAccounts = arns.map((arn) => arn.split(':')[4] ?? '');
  if (arns.length > 0 && !arnAccounts.some((value) => value === account || value === '*' || value === '')) {
    return `its aws:SourceArn condition allows only other accounts (${arns.join(', ')})`;
  }
  return undefined;
};

/**
 * Reads a trust policy against the one service principal the role kind needs, given as its spellings
 * (the partition's own first: `ec2.amazonaws.com.cn`, `ec2.amazonaws.com` in China).
 * Deny statements that name the service (or everyone) without a condition block it.
 */
export const analyseTrust = (
  policy: PolicyDocument,
  expected: string | readonly string[],
  account: string,
): TrustAnalysis => {
  const spellings: readonly string[] = typeof expected === 'string' ? [expected] : expected;
  const expectedService = spellings[0] ?? '';
  const unexpected: UnexpectedPrincipal[] = [];
  let serviceCanAssume = false;
  let deniedBecause: string | undefined;
  let excludedBecause: string | undefined;
  let hasConfusedDeputyCondition = false;
  for (const statement of policy.statements) {
    if (!coversAssume(statement)) continue;
    const principals = statement.principals ?? {};
    const services = principals.Service ?? [];
    if (statement.effect === 'Deny') {
      if (
        (services.some((s) => spellings.includes(s)) || (principals.AWS ?? []).includes('*')) &&
        statementCoversAction(statement, 'sts:AssumeRole') &&
        statement.conditions === undefined
      ) {
        deniedBecause = `a Deny statement stops ${expectedService} from assuming it`;
      }
      continue;
    }
    if (statement.notPrincipals) {
      unexpected.push({
        principal: `NotPrincipal:${JSON.stringify(statement.notPrincipals)}`,
        severity: 'critical',
        reason: 'Allow with NotPrincipal lets every other principal assume the role',
      });
    }
    const conditioned = statement.conditions !== undefined;
    for (const service of services) {
      if (!spellings.includes(service)) {
        unexpected.push({
          principal: `Service:${service}`,
          // Another AWS service acts only within this account's own use of it: over-broad, not external.
          severity: 'medium',
          reason: `service ${service} is not part of this role's baseline`,
        });
      } else if (statementCoversAction(statement, 'sts:AssumeRole')) {
        const excluded = excludesAccount(statement, account);
        if (excluded) {
          excludedBecause ??= excluded;
        } else {
          serviceCanAssume = true;
        }
        const keys = Object.values(statement.conditions ?? {}).flatMap((block) => Object.keys(block));
        if (keys.includes('aws:sourceaccount') || keys.includes('aws:sourcearn')) hasConfusedDeputyCondition = true;
      }
    }
    for (const aws of principals.AWS ?? []) {
      const owner = accountOf(aws);
      if (aws === '*') {
        unexpected.push({
          principal: 'AWS:*',
          severity: conditioned ? 'high' : 'critical',
          reason: conditioned ? 'any AWS principal that meets the condition can assume it' : 'anyone can assume it',
        });
      } else if (UNIQUE_ID.test(aws)) {
        unexpected.push({
          principal: `AWS:${aws}`,
          severity: 'info',
          reason:
            'a unique id: IAM shows one after the trusted role or user was deleted; it matches nobody, not even a recreated one (stale principal, remove it)',
        });
      } else if (owner !== undefined && owner !== account) {
        unexpected.push({
          principal: `AWS:${aws}`,
          severity: 'critical',
          reason: `account ${owner} is another account`,
        });
      } else {
        unexpected.push({
          principal: `AWS:${aws}`,
          severity: 'high',
          reason: 'an IAM principal, not the AWS service, can assume it',
        });
      }
    }
    for (const type of ['Federated', 'CanonicalUser']) {
      for (const value of principals[type] ?? []) {
        unexpected.push({
          principal: `${type}:${value}`,
          severity: 'high',
          reason: `${type} principals can assume it`,
        });
      }
    }
  }
  if (serviceCanAssume && deniedBecause === undefined) {
    return { serviceCanAssume: true, unexpected, hasConfusedDeputyCondition };
  }
  const blockedBecause = deniedBecause ?? excludedBecause ?? `no statement allows ${expectedService} to sts:AssumeRole`;
  return { serviceCanAssume: false, blockedBecause, unexpected, hasConfusedDeputyCondition };
};
