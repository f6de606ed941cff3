import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  decodePolicyDocument,
  equivalentPolicies,
  normalisePolicy,
  PolicyParseError,
} from '../../../src/domain/policy.js';

describe('normalisePolicy', () => {
  it.each([
    ['a single statement object', { Statement: { Effect: 'Allow', Action: 'S3:GetObject', Resource: '*' } }],
    [
      'a statement array with a list action',
      { Statement: [{ Effect: 'Allow', Action: ['s3:getobject'], Resource: ['*'] }] },
    ],
    [
      'a Sid, a Version and a duplicate statement',
      {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'One', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          { Sid: 'Two', Effect: 'Allow', Action: ['S3:GETOBJECT', 's3:GetObject'], Resource: '*' },
        ],
      },
    ],
  ])('treats %s as the same policy', (_label, doc) => {
    expect(normalisePolicy(doc)).toEqual({
      statements: [{ effect: 'Allow', actions: ['s3:getobject'], resources: ['*'] }],
    });
  });

  it('names the account root and the bare account id as one principal', () => {
    const a = normalisePolicy({
      Statement: { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' },
    });
    const b = normalisePolicy({
      Statement: { Effect: 'Allow', Principal: { AWS: ['111122223333'] }, Action: 'sts:AssumeRole' },
    });
    expect(equivalentPolicies(a, b)).toBe(true);
  });

  it('reads Principal "*" as every AWS principal', () => {
    const policy = normalisePolicy({ Statement: { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' } });
    expect(policy.statements[0]?.principals).toEqual({ AWS: ['*'] });
  });

  it('folds condition key case and value order but keeps values distinct', () => {
    const a = normalisePolicy({
      Statement: {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: '*',
        Condition: { StringEquals: { 'iam:PassedToService': ['ecs-tasks.amazonaws.com', 'ec2.amazonaws.com'] } },
      },
    });
    const b = normalisePolicy({
      Statement: {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: '*',
        Condition: { StringEquals: { 'IAM:PassedToService': ['ec2.amazonaws.com', 'ecs-tasks.amazonaws.com'] } },
      },
    });
    const c = normalisePolicy({
      Statement: {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: '*',
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    });
    expect(equivalentPolicies(a, b)).toBe(true);
    expect(equivalentPolicies(a, c)).toBe(false);
  });

  it('tells Allow from Deny and Action from NotAction', () => {
    const allow = normalisePolicy({ Statement: { Effect: 'Allow', Action: 's3:*', Resource: '*' } });
    const deny = normalisePolicy({ Statement: { Effect: 'Deny', Action: 's3:*', Resource: '*' } });
    const notAction = normalisePolicy({ Statement: { Effect: 'Allow', NotAction: 's3:*', Resource: '*' } });
    expect(equivalentPolicies(allow, deny)).toBe(false);
    expect(equivalentPolicies(allow, notAction)).toBe(false);
  });

  it.each([
    ['no Statement', { Version: '2012-10-17' }, /needs a Statement/],
    ['an unknown Effect', { Statement: { Effect: 'Permit', Action: '*' } }, /Effect must be "Allow" or "Deny"/],
    ['no Action', { Statement: { Effect: 'Allow', Resource: '*' } }, /neither Action nor NotAction/],
    ['an object Action', { Statement: { Effect: 'Allow', Action: { a: 1 } } }, /Action must be a string/],
    ['a non-object', ['x'], /must be a JSON object/],
  ])('rejects a policy with %s', (_label, doc, message) => {
    expect(() => normalisePolicy(doc)).toThrow(message);
  });
});

describe('decodePolicyDocument', () => {
  const plain = '{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b c/*"}}';

  it('reads URL-encoded documents as real IAM returns them, keeping + as +', () => {
    const decoded = decodePolicyDocument(encodeURIComponent(plain));
    expect(decoded.statements[0]?.resources).toEqual(['arn:aws:s3:::a+b c/*']);
  });

  it('reads plain JSON documents as moto returns some of them', () => {
    expect(decodePolicyDocument(`  ${plain}`)).toEqual(decodePolicyDocument(encodeURIComponent(plain)));
  });

  it('raises a PolicyParseError for text that is not JSON', () => {
    expect(() => decodePolicyDocument('%7Bnot json')).toThrow(PolicyParseError);
  });
});

const statementArb = fc.record({
  Effect: fc.constantFrom('Allow', 'Deny'),
  Action: fc.uniqueArray(
    fc.constantFrom('s3:GetObject', 'iam:PassRole', 'ec2:RunInstances', 'ecs:*', 'logs:PutLogEvents'),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
  Resource: fc.uniqueArray(fc.constantFrom('*', 'arn:aws:s3:::bucket/*', 'arn:aws:iam::123456789012:role/x'), {
    minLength: 1,
    maxLength: 3,
  }),
});

type RawStatement = { Effect: string; Action: string[]; Resource: string[] };

/** Rewrites a policy into another layout IAM treats as identical. */
const relayout = (statements: RawStatement[], seed: number): Record<string, unknown> => {
  const pick = (n: number) => (seed >> n) & 1;
  const shuffled = [...statements].reverse();
  const body = (pick(0) ? shuffled : statements).map((s, i) => ({
    ...(pick(1) ? { Sid: `S${i}` } : {}),
    Effect: s.Effect,
    Action:
      s.Action.length === 1 && pick(2)
        ? (s.Action[0] as string).toUpperCase()
        : [...s.Action].reverse().map((a) => (pick(3) ? a.toLowerCase() : a)),
    Resource: s.Resource.length === 1 && pick(4) ? s.Resource[0] : [...s.Resource, ...(pick(5) ? s.Resource : [])],
  }));
  const withDuplicate = pick(6) ? [...body, ...body] : body;
  return {
    ...(pick(7) ? { Version: '2012-10-17' } : {}),
    Statement: withDuplicate.length === 1 && pick(8) ? withDuplicate[0] : withDuplicate,
  };
};

describe('normalisePolicy properties', () => {
  it('gives every equivalent layout the same canonical form', () => {
    fc.assert(
      fc.property(
        fc.array(statementArb, { minLength: 1, maxLength: 4 }),
        fc.nat(511),
        fc.nat(511),
        (statements, a, b) => {
          const left = normalisePolicy(relayout(statements, a));
          const right = normalisePolicy(relayout(statements, b));
          expect(canonicalJson(left)).toBe(canonicalJson(right));
        },
      ),
    );
  });

  it('is idempotent: normalising its own output changes nothing', () => {
    fc.assert(
      fc.property(fc.array(statementArb, { minLength: 1, maxLength: 4 }), fc.nat(511), (statements, seed) => {
        const once = normalisePolicy(relayout(statements, seed));
        const again = normalisePolicy({
          Statement: once.statements.map((s) => ({ Effect: s.effect, Action: s.actions, Resource: s.resources })),
        });
        expect(again).toEqual(once);
      }),
    );
  });

  it('never calls two policies with different resources equivalent', () => {
    fc.assert(
      fc.property(statementArb, (statement) => {
        const other = { ...statement, Resource: [...statement.Resource, 'arn:aws:s3:::other-bucket'] };
        expect(
          equivalentPolicies(normalisePolicy({ Statement: statement }), normalisePolicy({ Statement: other })),
        ).toBe(false);
      }),
    );
  });
});
