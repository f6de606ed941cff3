import { describe, expect, it } from 'vitest';
import {
  CONDITION_OPERATORS,
  evaluateConditions,
  inCidr,
  type RequestContext,
  resolveVariables,
  undecidedConditions,
} from '../../../src/domain/conditions.js';
import { normalisePolicy } from '../../../src/domain/policy.js';

/** The normalised Condition block of a one-statement policy, as the evaluator sees it. */
const block = (condition: Record<string, unknown>) =>
  normalisePolicy({ Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: condition } })
    .statements[0]?.conditions;

const judge = (condition: Record<string, unknown>, context: RequestContext) =>
  evaluateConditions(block(condition), context);

// Expected values follow the IAM User Guide, "IAM JSON policy elements: Condition operators" and
// "Single-valued vs. multivalued context keys"; none is computed by the code under test.
describe('evaluateConditions, one operator at a time', () => {
  it.each([
    ['StringEquals', 'ec2.amazonaws.com', ['ec2.amazonaws.com'], true],
    ['StringEquals', 'ec2.amazonaws.com', ['EC2.amazonaws.com'], false],
    ['StringEquals', ['a', 'b'], ['b'], true],
    ['StringNotEquals', 'ecs-tasks.amazonaws.com', ['ec2.amazonaws.com'], true],
    ['StringNotEquals', 'ecs-tasks.amazonaws.com', ['ecs-tasks.amazonaws.com'], false],
    ['StringNotEquals', ['a', 'b'], ['b'], false],
    ['StringEqualsIgnoreCase', 'Team-A', ['team-a'], true],
    ['StringNotEqualsIgnoreCase', 'Team-A', ['team-a'], false],
    ['StringLike', '*', ['anything'], true],
    ['StringLike', 'arn:aws:batch:*', ['arn:aws:batch:us-east-1:1:job-queue/q'], true],
    ['StringLike', 'ec2.*.com', ['ec2.amazonaws.com'], true],
    ['StringLike', 'ab?', ['abc'], true],
    ['StringLike', 'ab?', ['abcd'], false],
    ['StringNotLike', 'dev-*', ['prod-1'], true],
    ['StringNotLike', 'dev-*', ['dev-1'], false],
    ['NumericEquals', '10', ['10'], true],
    ['NumericNotEquals', '10', ['10'], false],
    ['NumericLessThan', '10', ['9'], true],
    ['NumericLessThan', '10', ['10'], false],
    ['NumericLessThanEquals', '10', ['10'], true],
    ['NumericGreaterThan', '10', ['11'], true],
    ['NumericGreaterThanEquals', '10', ['9'], false],
    ['NumericEquals', '10', ['ten'], false],
    ['DateEquals', '2026-01-01T00:00:00Z', ['2026-01-01T00:00:00Z'], true],
    ['DateNotEquals', '2026-01-01T00:00:00Z', ['2026-01-01T00:00:00Z'], false],
    ['DateLessThan', '2026-01-01T00:00:00Z', ['2025-12-31T23:59:59Z'], true],
    ['DateLessThanEquals', '2026-01-01T00:00:00Z', ['2026-01-02T00:00:00Z'], false],
    ['DateGreaterThan', '2026-01-01T00:00:00Z', ['2026-06-01T00:00:00Z'], true],
    ['DateGreaterThanEquals', '1767225600', ['2026-01-01T00:00:00Z'], true],
    ['Bool', 'true', ['true'], true],
    ['Bool', 'true', ['false'], false],
    ['Bool', 'TRUE', ['true'], true],
    ['BinaryEquals', 'QmluYXJ5', ['QmluYXJ5'], true],
    ['BinaryEquals', 'QmluYXJ5', ['QmluYXJ6'], false],
    ['IpAddress', '203.0.113.0/24', ['203.0.113.9'], true],
    ['IpAddress', '203.0.113.0/24', ['198.51.100.1'], false],
    ['NotIpAddress', '203.0.113.0/24', ['198.51.100.1'], true],
    ['IpAddress', '2001:db8::/32', ['2001:db8:1::1'], true],
    ['IpAddress', '2001:db8::/32', ['2001:db9::1'], false],
    ['ArnEquals', 'arn:aws:iam::123456789012:role/x', ['arn:aws:iam::123456789012:role/x'], true],
    ['ArnLike', 'arn:aws:iam::*:role/batch-*', ['arn:aws:iam::123456789012:role/batch-a'], true],
    ['ArnLike', 'arn:aws:iam::*:role/batch-*', ['arn:aws:iam::123456789012:role/other'], false],
    ['ArnNotEquals', 'arn:aws:iam::123456789012:role/x', ['arn:aws:iam::123456789012:role/y'], true],
    ['ArnNotLike', 'arn:aws:iam::*:role/batch-*', ['arn:aws:iam::123456789012:role/batch-a'], false],
  ])('%s %j with request %j is %s', (operator, values, request, expected) => {
    expect(judge({ [operator]: { 'test:key': values } }, { 'test:key': request })).toBe(expected);
  });

  it('covers every operator IAM has, each in the table above', () => {
    expect([...CONDITION_OPERATORS].sort()).toEqual(
      [
        'arnequals',
        'arnlike',
        'arnnotequals',
        'arnnotlike',
        'binaryequals',
        'bool',
        'dateequals',
        'dategreaterthan',
        'dategreaterthanequals',
        'datelessthan',
        'datelessthanequals',
        'datenotequals',
        'ipaddress',
        'notipaddress',
        'numericequals',
        'numericgreaterthan',
        'numericgreaterthanequals',
        'numericlessthan',
        'numericlessthanequals',
        'numericnotequals',
        'stringequals',
        'stringequalsignorecase',
        'stringlike',
        'stringnotequals',
        'stringnotequalsignorecase',
        'stringnotlike',
      ].sort(),
    );
  });
});

describe('evaluateConditions, keys the request does not carry', () => {
  it.each([
    // Positive operators are false on a missing key; negated ones are true.
    ['StringEquals', false],
    ['StringLike', false],
    ['ArnLike', false],
    ['NumericLessThan', false],
    ['Bool', false],
    ['StringNotEquals', true],
    ['StringNotLike', true],
    ['ArnNotLike', true],
    ['NotIpAddress', true],
    // ...IfExists is true whatever the operator.
    ['StringEqualsIfExists', true],
    ['ArnLikeIfExists', true],
    ['BoolIfExists', true],
    // ForAllValues on an empty or missing key is true; ForAnyValue is false.
    ['ForAllValues:StringEquals', true],
    ['ForAnyValue:StringEquals', false],
  ])('%s on a missing key is %s', (operator, expected) => {
    expect(judge({ [operator]: { 'test:key': 'x' } }, { 'test:key': null })).toBe(expected);
  });

  it.each([
    ['true', null, true],
    ['true', ['v'], false],
    ['false', ['v'], true],
    ['false', null, false],
  ])('Null %s with the key %j is %s', (value, request, expected) => {
    expect(judge({ Null: { 'test:key': value } }, { 'test:key': request as string[] | null })).toBe(expected);
  });

  it('is undecided when the context does not know the key, whatever the operator', () => {
    for (const operator of [
      'StringEquals',
      'StringNotEquals',
      'StringLikeIfExists',
      'Null',
      'ForAllValues:StringLike',
    ]) {
      expect(judge({ [operator]: { 'aws:sourceip': 'x' } }, {})).toBe('unknown');
    }
  });
});

describe('evaluateConditions, multivalued keys and blocks', () => {
  it.each([
    ['ForAnyValue:StringEquals', ['a', 'b'], ['b', 'z'], true],
    ['ForAnyValue:StringEquals', ['a', 'b'], ['y', 'z'], false],
    ['ForAllValues:StringEquals', ['a', 'b'], ['a', 'b'], true],
    ['ForAllValues:StringEquals', ['a', 'b'], ['a', 'z'], false],
    ['ForAllValues:StringLike', ['team-*'], ['team-a', 'team-b'], true],
    ['ForAnyValue:StringNotEquals', ['a'], ['a', 'b'], true],
    ['ForAllValues:StringNotEquals', ['a'], ['a', 'b'], false],
  ])('%s %j with request %j is %s', (operator, values, request, expected) => {
    expect(judge({ [operator]: { 'aws:tagkeys': values } }, { 'aws:tagkeys': request })).toBe(expected);
  });

  it('requires every key and every operator to hold (AND), any value of a key (OR)', () => {
    const condition = {
      StringEquals: { 'aws:sourceaccount': ['111111111111', '123456789012'] },
      ArnLike: { 'aws:sourcearn': 'arn:aws:batch:*:123456789012:*' },
    };
    const context = (account: string, arn: string) => ({ 'aws:sourceaccount': [account], 'aws:sourcearn': [arn] });
    expect(
      judge(condition, context('123456789012', 'arn:aws:batch:us-east-1:123456789012:compute-environment/a')),
    ).toBe(true);
    expect(
      judge(condition, context('123456789012', 'arn:aws:batch:us-east-1:999999999999:compute-environment/a')),
    ).toBe(false);
    expect(judge(condition, { 'aws:sourceaccount': ['123456789012'] })).toBe('unknown');
    expect(judge(condition, { 'aws:sourceaccount': ['999999999999'] })).toBe(false);
  });

  it('treats condition keys case-insensitively and values case-sensitively', () => {
    expect(
      judge(
        { StringEquals: { 'IAM:PassedToService': 'ec2.amazonaws.com' } },
        { 'iam:passedtoservice': ['ec2.amazonaws.com'] },
      ),
    ).toBe(true);
    expect(
      judge(
        { StringEquals: { 'iam:PassedToService': 'EC2.amazonaws.com' } },
        { 'iam:passedtoservice': ['ec2.amazonaws.com'] },
      ),
    ).toBe(false);
  });

  it('is undecided for an operator IAM does not have', () => {
    expect(judge({ StringAlmostEquals: { 'test:key': 'x' } }, { 'test:key': ['x'] })).toBe('unknown');
  });

  it('names the conditions the context cannot decide', () => {
    expect(
      undecidedConditions(
        block({ StringEquals: { 'aws:ResourceTag/team': 'x', 'iam:PassedToService': 'ec2.amazonaws.com' } }),
        {
          'iam:passedtoservice': ['ec2.amazonaws.com'],
        },
      ),
    ).toEqual(['StringEquals aws:resourcetag/team ["x"]']);
  });
});

describe('policy variables', () => {
  it.each([
    ['home/${aws:username}/*', { 'aws:username': ['ana'] }, 'home/ana/*'],
    ['${aws:PrincipalTag/team}', { 'aws:principaltag/team': ['blue'] }, 'blue'],
    ['literal-${*}-${?}-${$}', {}, 'literal-\uE001-\uE002-$'],
    ["${aws:username, 'nobody'}", { 'aws:username': null }, 'nobody'],
    ['${aws:username}', {}, undefined],
    ['${aws:username}', { 'aws:username': null }, undefined],
  ])('%s resolves to %s', (value, context, expected) => {
    expect(resolveVariables(value, context as RequestContext)).toBe(expected);
  });

  it('compares a variable in a condition value once it resolves, and is undecided while it cannot', () => {
    const condition = { StringEquals: { 'aws:resourcetag/owner': '${aws:username}' } };
    expect(judge(condition, { 'aws:resourcetag/owner': ['ana'], 'aws:username': ['ana'] })).toBe(true);
    expect(judge(condition, { 'aws:resourcetag/owner': ['ana'], 'aws:username': ['bob'] })).toBe(false);
    expect(judge(condition, { 'aws:resourcetag/owner': ['ana'] })).toBe('unknown');
  });
});

describe('inCidr', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['10.1.2.3', '10.1.2.3', true],
    ['11.0.0.1', '10.0.0.0/8', false],
    ['0.0.0.1', '0.0.0.0/0', true],
    ['::1', '::1/128', true],
    ['2001:db8::1', '10.0.0.0/8', false],
    ['300.1.1.1', '10.0.0.0/8', false],
    ['10.0.0.1', '10.0.0.0/33', false],
  ])('%s in %s is %s', (address, cidr, expected) => {
    expect(inCidr(address, cidr)).toBe(expected);
  });
});
