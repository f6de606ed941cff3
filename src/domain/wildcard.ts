/**
 * A literal `*` or `?` inside a pattern, as the policy variables `${*}` and `${?}` produce: matched as
 * that character, never as a wildcard.
 */
export const LITERAL_STAR = '\uE001';
/** See {@link LITERAL_STAR}. */
export const LITERAL_QUESTION = '\uE002';

const literal = (c: string | undefined): string | undefined =>
  c === LITERAL_STAR ? '*' : c === LITERAL_QUESTION ? '?' : c;

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
    if (pi < p.length && (p[pi] === '?' || literal(p[pi]) === v[vi])) {
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

/** The six parts of an ARN (the last keeps its colons), or undefined when the value is not an ARN. */
const arnParts = (value: string): string[] | undefined => {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
};

/**
 * `ArnLike`/`ArnEquals` matching: each of the six colon-separated parts is matched on its own, so a
 * wildcard never crosses a colon of the first five; case-sensitive.
 */
export const arnMatch = (pattern: string, value: string): boolean => {
  if (pattern === '*') return true;
  const p = arnParts(pattern);
  const v = arnParts(value);
  if (!p || !v) return false;
  return p.every((part, i) => wildcardMatch(part, v[i] ?? ''));
};
