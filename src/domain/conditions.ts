import type { Conditions } from './policy.js';
import { arnMatch, LITERAL_QUESTION, LITERAL_STAR, wildcardMatch } from './wildcard.js';

/**
 * What a request carries for conditions: lower-cased key → its values, or `null` when the request is
 * known not to carry the key. A key that is not listed is unknown: a condition on it cannot be decided.
 */
export type RequestContext = Readonly<Record<string, readonly string[] | null>>;

/** A condition's outcome: it holds, it does not, or the context cannot tell. */
export type Truth = true | false | 'unknown';

/** Kleene AND: false wins, then unknown. */
export const and = (values: Iterable<Truth>): Truth => {
  let result: Truth = true;
  for (const value of values) {
    if (value === false) return false;
    if (value === 'unknown') result = 'unknown';
  }
  return result;
};

/** Kleene OR: true wins, then unknown. */
export const or = (values: Iterable<Truth>): Truth => {
  let result: Truth = false;
  for (const value of values) {
    if (value === true) return true;
    if (value === 'unknown') result = 'unknown';
  }
  return result;
};

const not = (value: Truth): Truth => (value === 'unknown' ? value : !value);

const VARIABLE = /\$\{([^}]+)\}/g;

/**
 * Substitutes policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`, `${?}`, `${$}`,
 * and `${key, 'default'}`) from the context. Undefined when a variable's value is unknown, or absent
 * with no default: then the value cannot be compared.
 */
export const resolveVariables = (value: string, context: RequestContext): string | undefined => {
  if (!value.includes('${')) return value;
  let unresolved = false;
  const out = value.replace(VARIABLE, (_match, body: string) => {
    if (body === '*') return LITERAL_STAR;
    if (body === '?') return LITERAL_QUESTION;
    if (body === '$') return '$';
    const [key = '', fallback] = body.split(',').map((part) => part.trim());
    const values = context[key.toLowerCase()];
    const defaultValue = fallback?.replace(/^'(.*)'$/, '$1');
    if (values === null && defaultValue !== undefined) return defaultValue;
    // A multi-valued key cannot stand in a single value.
    if (values?.length !== 1) {
      unresolved = true;
      return '';
    }
    return values[0] ?? '';
  });
  return unresolved ? undefined : out;
};

type Comparator = (request: string, policy: string) => boolean;

const toNumber = (value: string): number => (value.trim() === '' ? Number.NaN : Number(value));
const toDate = (value: string): number => (/^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value));
const numeric =
  (compare: (a: number, b: number) => boolean): Comparator =>
  (request, policy) => {
    const a = toNumber(request);
    const b = toNumber(policy);
    return !Number.isNaN(a) && !Number.isNaN(b) && compare(a, b);
  };
const date =
  (compare: (a: number, b: number) => boolean): Comparator =>
  (request, policy) => {
    const a = toDate(request);
    const b = toDate(policy);
    return !Number.isNaN(a) && !Number.isNaN(b) && compare(a, b);
  };

/** Parses an IPv4 or IPv6 address into a number and its bit width. */
const parseIp = (text: string): { value: bigint; bits: number } | undefined => {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), bits: 32 };
  }
  if (!text.includes(':') || !/^[0-9a-fA-F:]+$/.test(text)) return undefined;
  const [head = '', tail, extra] = text.split('::');
  if (extra !== undefined) return undefined;
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  if (groups.some((g) => g.length === 0 || g.length > 4)) return undefined;
  return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n), bits: 128 };
};

/** True when `address` falls in the CIDR block (or equals the single address) `block`. */
export const inCidr = (address: string, block: string): boolean => {
  const [base = '', prefixText] = block.split('/');
  const ip = parseIp(address.trim());
  const net = parseIp(base.trim());
  if (!ip || !net || ip.bits !== net.bits) return false;
  const prefix = prefixText === undefined ? net.bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > net.bits) return false;
  const shift = BigInt(net.bits - prefix);
  return ip.value >> shift === net.value >> shift;
};

/** Each base operator: how one request value is compared with one policy value, and whether it is negated. */
const OPERATORS: Readonly<Record<string, { readonly match: Comparator; readonly negated: boolean }>> = {
  stringequals: { match: (r, p) => r === p, negated: false },
  stringnotequals: { match: (r, p) => r === p, negated: true },
  stringequalsignorecase: { match: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: false },
  stringnotequalsignorecase: { match: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: true },
  stringlike: { match: (r, p) => wildcardMatch(p, r), negated: false },
  stringnotlike: { match: (r, p) => wildcardMatch(p, r), negated: true },
  numericequals: { match: numeric((a, b) => a === b), negated: false },
  numericnotequals: { match: numeric((a, b) => a === b), negated: true },
  numericlessthan: { match: numeric((a, b) => a < b), negated: false },
  numericlessthanequals: { match: numeric((a, b) => a <= b), negated: false },
  numericgreaterthan: { match: numeric((a, b) => a > b), negated: false },
  numericgreaterthanequals: { match: numeric((a, b) => a >= b), negated: false },
  dateequals: { match: date((a, b) => a === b), negated: false },
  datenotequals: { match: date((a, b) => a === b), negated: true },
  datelessthan: { match: date((a, b) => a < b), negated: false },
  datelessthanequals: { match: date((a, b) => a <= b), negated: false },
  dategreaterthan: { match: date((a, b) => a > b), negated: false },
  dategreaterthanequals: { match: date((a, b) => a >= b), negated: false },
  bool: { match: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: false },
  binaryequals: { match: (r, p) => r === p, negated: false },
  ipaddress: { match: (r, p) => inCidr(r, p), negated: false },
  notipaddress: { match: (r, p) => inCidr(r, p), negated: true },
  arnequals: { match: (r, p) => arnMatch(p, r), negated: false },
  arnlike: { match: (r, p) => arnMatch(p, r), negated: false },
  arnnotequals: { match: (r, p) => arnMatch(p, r), negated: true },
  arnnotlike: { match: (r, p) => arnMatch(p, r), negated: true },
};

/** The operator names IAM accepts, without `IfExists` or a set prefix (for docs and tests). */
export const CONDITION_OPERATORS: readonly string[] = Object.keys(OPERATORS);

/** Parses `ForAnyValue:StringLikeIfExists` into its parts; undefined for an operator IAM does not have. */
const parseOperator = (
  written: string,
): { set?: 'any' | 'all'; base: string; ifExists: boolean; isNull: boolean } | undefined => {
  let name = written.toLowerCase();
  let set: 'any' | 'all' | undefined;
  if (name.startsWith('foranyvalue:')) {
    set = 'any';
    name = name.slice('foranyvalue:'.length);
  } else if (name.startsWith('forallvalues:')) {
    set = 'all';
    name = name.slice('forallvalues:'.length);
  }
  if (name === 'null') return set ? undefined : { base: name, ifExists: false, isNull: true };
  const ifExists = name.endsWith('ifexists');
  const base = ifExists ? name.slice(0, -'ifexists'.length) : name;
  if (!(base in OPERATORS)) return undefined;
  return { ...(set ? { set } : {}), base, ifExists, isNull: false };
};

/** One key under one operator: the request's values against the policy's (OR across policy values). */
const evaluateKey = (
  operator: string,
  key: string,
  policyValues: readonly string[],
  context: RequestContext,
): Truth => {
  const parsed = parseOperator(operator);
  if (!parsed) return 'unknown';
  const requestValues = context[key];
  if (requestValues === undefined) return 'unknown';
  const present = requestValues !== null && requestValues.length > 0;
  if (parsed.isNull) {
    return or(
      policyValues.map((v) => (v.toLowerCase() === 'true' ? !present : v.toLowerCase() === 'false' ? present : false)),
    );
  }
  const { match, negated } = OPERATORS[parsed.base] as { match: Comparator; negated: boolean };
  if (!present) {
    if (parsed.ifExists) return true;
    if (parsed.set === 'all') return true;
    if (parsed.set === 'any') return false;
    return negated;
  }
  const resolved = policyValues.map((v) => resolveVariables(v, context));
  /** Whether one request value satisfies the operator: matches some policy value, or (negated) none. */
  const satisfies = (value: string): Truth => {
    const matches = or(resolved.map((p) => (p === undefined ? 'unknown' : match(value, p))));
    return negated ? not(matches) : matches;
  };
  if (parsed.set === 'all') return and(requestValues.map(satisfies));
  if (parsed.set === 'any') return or(requestValues.map(satisfies));
  // A single-valued key: negated operators hold when no request value matches any policy value.
  return negated ? and(requestValues.map(satisfies)) : or(requestValues.map(satisfies));
};

/** Evaluates a statement's Condition block: every operator and every key must hold (AND), values OR. */
export const evaluateConditions = (conditions: Conditions | undefined, context: RequestContext): Truth => {
  if (!conditions) return true;
  return and(
    Object.entries(conditions).flatMap(([operator, block]) =>
      Object.entries(block).map(([key, values]) => evaluateKey(operator, key, values, context)),
    ),
  );
};

/** The keys of a Condition block that the context cannot decide, as `Operator key [values]`, for people. */
export const undecidedConditions = (conditions: Conditions | undefined, context: RequestContext): string[] =>
  Object.entries(conditions ?? {}).flatMap(([operator, block]) =>
    Object.entries(block)
      .filter(([key, values]) => evaluateKey(operator, key, values, context) === 'unknown')
      .map(([key, values]) => `${operator} ${key} ${JSON.stringify(values)}`),
  );
