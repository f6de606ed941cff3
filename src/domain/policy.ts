/** A principal block after normalisation: type (`AWS`, `Service`, `Federated`, `CanonicalUser`) → sorted values. */
export type Principals = Readonly<Record<string, readonly string[]>>;

/** Condition block after normalisation: operator → lower-cased key → sorted values. */
export type Conditions = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

/** One statement in canonical form: every list sorted and de-duplicated, action names lower-cased, Sid dropped. */
export interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly principals?: Principals;
  readonly notPrincipals?: Principals;
  readonly conditions?: Conditions;
}

/** A policy document in canonical form: equivalent documents have equal canonical statements. */
export interface PolicyDocument {
  readonly statements: readonly Statement[];
  /** The document as written (non-enumerable, so it never takes part in comparisons); capture writes it back. */
  readonly raw?: unknown;
}

/** Raised when a policy document cannot be decoded or does not follow the IAM policy grammar. */
export class PolicyParseError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyParseError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const sortedUnique = (values: readonly string[]): string[] => [...new Set(values)].sort();

const toStrings = (value: unknown, field: string): string[] => {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw new PolicyParseError(`${field} must be a string or a list of strings`);
  });
};

const ACCOUNT_ROOT = /^arn:[a-z-]+:iam::(\d{12}):root$/;

/** `123456789012` and `arn:aws:iam::123456789012:root` name the same principal; keep the account id. */
const normaliseAwsPrincipal = (value: string): string => ACCOUNT_ROOT.exec(value)?.[1] ?? value;

const normalisePrincipals = (value: unknown, field: string): Principals => {
  if (value === '*') return { AWS: ['*'] };
  if (!isObject(value)) throw new PolicyParseError(`${field} must be "*" or an object`);
  const out: Record<string, string[]> = {};
  for (const type of Object.keys(value).sort()) {
    const values = toStrings(value[type], `${field}.${type}`);
    out[type] = sortedUnique(type === 'AWS' ? values.map(normaliseAwsPrincipal) : values);
  }
  return out;
};

const normaliseConditions = (value: unknown): Conditions => {
  if (!isObject(value)) throw new PolicyParseError('Condition must be an object');
  const out: Record<string, Record<string, string[]>> = {};
  for (const operator of Object.keys(value).sort()) {
    const block = value[operator];
    if (!isObject(block)) throw new PolicyParseError(`Condition.${operator} must be an object`);
    const keys: Record<string, string[]> = {};
    // Condition keys are case-insensitive in IAM; values are not.
    for (const key of Object.keys(block)) {
      const lower = key.toLowerCase();
      keys[lower] = sortedUnique([...(keys[lower] ?? []), ...toStrings(block[key], `Condition.${operator}.${key}`)]);
    }
    out[operator] = Object.fromEntries(Object.entries(keys).sort(([a], [b]) => a.localeCompare(b)));
  }
  return out;
};

const normaliseStatement = (raw: unknown, index: number): Statement => {
  if (!isObject(raw)) throw new PolicyParseError(`Statement[${index}] must be an object`);
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new PolicyParseError(`Statement[${index}].Effect must be "Allow" or "Deny"`);
  }
  const statement: {
    effect: 'Allow' | 'Deny';
    actions?: string[];
    notActions?: string[];
    resources?: string[];
    notResources?: string[];
    principals?: Principals;
    notPrincipals?: Principals;
    conditions?: Conditions;
  } = { effect };
  // Action names are case-insensitive in IAM.
  if (raw.Action !== undefined) statement.actions = sortedUnique(toStrings(raw.Action, 'Action').map(lower));
  if (raw.NotAction !== undefined)
    statement.notActions = sortedUnique(toStrings(raw.NotAction, 'NotAction').map(lower));
  if (raw.Resource !== undefined) statement.resources = sortedUnique(toStrings(raw.Resource, 'Resource'));
  if (raw.NotResource !== undefined) statement.notResources = sortedUnique(toStrings(raw.NotResource, 'NotResource'));
  if (raw.Principal !== undefined) statement.principals = normalisePrincipals(raw.Principal, 'Principal');
  if (raw.NotPrincipal !== undefined) statement.notPrincipals = normalisePrincipals(raw.NotPrincipal, 'NotPrincipal');
  if (raw.Condition !== undefined) {
    const conditions = normaliseConditions(raw.Condition);
    if (Object.keys(conditions).length > 0) statement.conditions = conditions;
  }
  if (statement.actions === undefined && statement.notActions === undefined) {
    throw new PolicyParseError(`Statement[${index}] has neither Action nor NotAction`);
  }
  return statement;
};

const lower = (value: string): string => value.toLowerCase();

/** Stable JSON: object keys sorted at every level, so equal values serialise identically. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );

/**
 * Normalises a parsed policy: statement object or array, string or array, order, duplicates,
 * action-name case, `Sid` and `Version` all stop mattering.
 */
export const normalisePolicy = (raw: unknown): PolicyDocument => {
  if (!isObject(raw)) throw new PolicyParseError('A policy document must be a JSON object');
  if (raw.Statement === undefined) throw new PolicyParseError('A policy document needs a Statement');
  const list = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  const byKey = new Map<string, Statement>();
  list.forEach((item, index) => {
    const statement = normaliseStatement(item, index);
    byKey.set(canonicalJson(statement), statement);
  });
  const policy = { statements: [...byKey.keys()].sort().map((key) => byKey.get(key) as Statement) };
  return Object.defineProperty(policy, 'raw', { value: raw, enumerable: false });
};

/**
 * Decodes a policy document as IAM returns it. Real IAM URL-encodes documents (RFC 3986); moto returns
 * some plain, so both are accepted. `decodeURIComponent`, not form decoding: `+` must stay `+`.
 */
export const decodePolicyDocument = (text: string): PolicyDocument => {
  let json: unknown;
  try {
    json = JSON.parse(text.trimStart().startsWith('{') ? text : decodeURIComponent(text));
  } catch (error) {
    throw new PolicyParseError('The policy document is not valid JSON', { cause: error });
  }
  return normalisePolicy(json);
};

/** One statement of a document with where it stands, so a finding can name it. */
export interface SourcedStatement {
  readonly statement: Statement;
  /** The statement's `Sid`, or `#N` (its 0-based index) when it has none. */
  readonly label: string;
}

/**
 * The document's statements as written, each normalised and labelled by Sid or index. A document
 * built without its raw form (tests, canonical copies) is labelled by canonical order.
 */
export const sourcedStatements = (document: PolicyDocument): SourcedStatement[] => {
  const raw = document.raw;
  if (!isObject(raw) || raw.Statement === undefined) {
    return document.statements.map((statement, index) => ({ statement, label: `#${index}` }));
  }
  const list = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  return list.map((item, index) => ({
    statement: normaliseStatement(item, index),
    label: isObject(item) && typeof item.Sid === 'string' && item.Sid !== '' ? item.Sid : `#${index}`,
  }));
};

/**
 * True when two documents are written alike after normalisation (layout, order, case). Whether they
 * grant the same access is {@link diffPolicies}'s question: split or merged statements differ here.
 */
export const equivalentPolicies = (a: PolicyDocument, b: PolicyDocument): boolean =>
  canonicalJson(a.statements) === canonicalJson(b.statements);
