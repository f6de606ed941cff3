import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EvaluationRequest, PolicyEvaluator } from '../../../src/domain/evaluator.js';
import { normalisePolicy } from '../../../src/domain/policy.js';

type Raw = Record<string, unknown>;
const policy = (label: string, ...statements: Raw[]) => ({
  label,
  document: normalisePolicy({ Version: '2012-10-17', Statement: statements }),
});
const evaluator = (statements: Raw[], boundary?: Raw[]) =>
  new PolicyEvaluator([policy('p', ...statements)], boundary ? policy('boundary', ...boundary) : undefined);
const decide = (statements: Raw[], request: EvaluationRequest, boundary?: Raw[]) =>
  evaluator(statements, boundary).evaluate(request).decision;

const ROLE = 'arn:aws:iam::123456789012:role/r';
const BUCKET_OBJECT = 'arn:aws:s3:::data/report.csv';

describe('PolicyEvaluator: allow, deny, NotAction, NotResource', () => {
  it.each([
    ['an Allow', [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }], 'iam:PutRolePolicy', ROLE, 'yes'],
    [
      'an explicit Deny subtracts from an Allow',
      [
        { Effect: 'Allow', Action: 'iam:*', Resource: '*' },
        { Effect: 'Deny', Action: 'iam:*', Resource: '*' },
      ],
      'iam:PutRolePolicy',
      ROLE,
      'no',
    ],
    [
      'a Deny on another resource leaves the Allow',
      [
        { Effect: 'Allow', Action: 'iam:*', Resource: '*' },
        { Effect: 'Deny', Action: 'iam:*', Resource: 'arn:aws:iam::123456789012:role/other' },
      ],
      'iam:PutRolePolicy',
      ROLE,
      'yes',
    ],
    [
      'no statement: implicit deny',
      [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      'iam:PassRole',
      ROLE,
      'no',
    ],
    [
      'NotAction with a Resource applies only to that resource',
      [{ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::bucket' }],
      'iam:CreateUser',
      'arn:aws:iam::123456789012:user/x',
      'no',
    ],
    [
      'NotAction with a Resource allows the other actions on that resource',
      [{ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::bucket' }],
      's3:PutBucketPolicy',
      'arn:aws:s3:::bucket',
      'yes',
    ],
    [
      'NotAction leaves out the named action',
      [{ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: '*' }],
      's3:DeleteBucket',
      'arn:aws:s3:::bucket',
      'no',
    ],
    [
      'NotResource allows everything but the named resources',
      [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' }],
      's3:GetObject',
      BUCKET_OBJECT,
      'yes',
    ],
    [
      'NotResource excludes the named resources',
      [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::data/*' }],
      's3:GetObject',
      BUCKET_OBJECT,
      'no',
    ],
    [
      'Deny with NotAction denies everything else',
      [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', NotAction: 's3:*', Resource: '*' },
      ],
      'iam:CreateUser',
      'arn:aws:iam::123456789012:user/x',
      'no',
    ],
    [
      'action names match in any case',
      [{ Effect: 'Allow', Action: 'IAM:passrole', Resource: '*' }],
      'iam:PassRole',
      ROLE,
      'yes',
    ],
    [
      'resource ARNs match case-sensitively',
      [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::123456789012:role/R' }],
      'iam:PassRole',
      ROLE,
      'no',
    ],
  ])('%s', (_label, statements, action, resource, expected) => {
    expect(decide(statements as Raw[], { action, resource })).toBe(expected);
  });
});

describe('PolicyEvaluator: partitions', () => {
  it.each([
    ['arn:aws:s3:::*', 'arn:aws:s3:::b/k', 'yes'],
    ['arn:aws:s3:::*', 'arn:aws-cn:s3:::b/k', 'no'],
    ['arn:aws:s3:::*', 'arn:aws-us-gov:s3:::b/k', 'no'],
    ['arn:aws-cn:s3:::*', 'arn:aws-cn:s3:::b/k', 'yes'],
    ['arn:aws-us-gov:s3:::*', 'arn:aws-us-gov:s3:::b/k', 'yes'],
    ['arn:*:s3:::*', 'arn:aws-cn:s3:::b/k', 'yes'],
    ['*', 'arn:aws-us-gov:s3:::b/k', 'yes'],
  ])('Resource %s on %s: %s', (pattern, resource, expected) => {
    expect(
      decide([{ Effect: 'Allow', Action: 's3:GetObject', Resource: pattern }], { action: 's3:GetObject', resource }),
    ).toBe(expected);
  });
});

describe('PolicyEvaluator: conditions', () => {
  const guardedPassRole = [
    { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
    {
      Effect: 'Deny',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: { StringNotEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
  ];

  it.each([
    ['a deny-guarded PassRole to EC2', guardedPassRole, { 'iam:passedtoservice': ['ec2.amazonaws.com'] }, 'no'],
    [
      'a deny-guarded PassRole to ECS tasks',
      guardedPassRole,
      { 'iam:passedtoservice': ['ecs-tasks.amazonaws.com'] },
      'yes',
    ],
    // IAM denies only when the Deny's condition holds: an undecided one does not subtract.
    ['a deny-guarded PassRole to an unknown service', guardedPassRole, {}, 'yes'],
    [
      'an Allow whose condition holds',
      [
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: '*',
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ],
      { 'iam:passedtoservice': ['ecs-tasks.amazonaws.com'] },
      'yes',
    ],
    [
      'an Allow whose condition fails',
      [
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: '*',
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ],
      { 'iam:passedtoservice': ['ec2.amazonaws.com'] },
      'no',
    ],
    [
      'StringLike "*" on PassedToService is no restriction',
      [
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: '*',
          Condition: { StringLike: { 'iam:PassedToService': '*' } },
        },
      ],
      { 'iam:passedtoservice': ['ec2.amazonaws.com'] },
      'yes',
    ],
    [
      'StringNotEquals on PassedToService allows every other service',
      [
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: '*',
          Condition: { StringNotEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
        },
      ],
      { 'iam:passedtoservice': ['ec2.amazonaws.com'] },
      'yes',
    ],
    [
      'an Allow on a condition the context cannot decide is conditional',
      [
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: '*',
          Condition: { StringEquals: { 'aws:ResourceTag/team': 'x' } },
        },
      ],
      { 'iam:passedtoservice': ['ec2.amazonaws.com'] },
      'conditional',
    ],
  ])('%s: %s', (_label, statements, context, expected) => {
    expect(decide(statements as Raw[], { action: 'iam:PassRole', resource: ROLE, context })).toBe(expected);
  });

  it('names the statements and the undecided conditions behind a conditional answer', () => {
    const answer = new PolicyEvaluator([
      policy('inline policy tags', {
        Sid: 'TaggedOnly',
        Effect: 'Allow',
        Action: 'ssm:SendCommand',
        Resource: '*',
        Condition: { StringEquals: { 'aws:ResourceTag/team': 'x' } },
      }),
    ]).evaluate({ action: 'ssm:SendCommand', resource: 'arn:aws:ec2:us-east-1:123456789012:instance/i-1' });
    expect(answer).toMatchObject({
      decision: 'conditional',
      allowedBy: [{ policy: 'inline policy tags', statement: 'TaggedOnly' }],
      conditions: ['StringEquals aws:resourcetag/team ["x"]'],
    });
  });

  it('resolves policy variables in Resource from the context, and is conditional when it cannot', () => {
    const statements = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' }];
    const resource = 'arn:aws:s3:::home/ana/file';
    expect(decide(statements, { action: 's3:GetObject', resource, context: { 'aws:username': ['ana'] } })).toBe('yes');
    expect(decide(statements, { action: 's3:GetObject', resource, context: { 'aws:username': ['bob'] } })).toBe('no');
    expect(decide(statements, { action: 's3:GetObject', resource })).toBe('conditional');
  });
});

describe('PolicyEvaluator: permissions boundary', () => {
  const admin = [{ Effect: 'Allow', Action: '*', Resource: '*' }];

  it.each([
    ['a boundary that allows it', [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }], 'yes'],
    ['a boundary that does not name it', [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }], 'no'],
    [
      'a boundary that denies it',
      [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: 'iam:Put*', Resource: '*' },
      ],
      'no',
    ],
    [
      'a boundary that allows it only under a condition',
      [
        {
          Effect: 'Allow',
          Action: 'iam:*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
        },
      ],
      'conditional',
    ],
  ])('intersects the identity policies with %s', (_label, boundary, expected) => {
    const answer = evaluator(admin, boundary).evaluate({ action: 'iam:PutRolePolicy', resource: ROLE });
    expect(answer.decision).toBe(expected);
    expect(answer.limitedByBoundary).toBe(expected !== 'yes');
  });

  it('does not grant through the boundary what no identity policy allows', () => {
    expect(decide([], { action: 'iam:PutRolePolicy', resource: ROLE }, admin)).toBe('no');
  });
});

describe('PolicyEvaluator: trust policies (principals)', () => {
  const trust = [
    { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'sts:AssumeRole' },
  ];

  it.each([
    [{ type: 'Service', value: 'ecs-tasks.amazonaws.com' }, 'yes'],
    [{ type: 'Service', value: 'lambda.amazonaws.com' }, 'no'],
    // An account root (or id) names every principal of that account.
    [{ type: 'AWS', value: 'arn:aws:iam::210987654321:role/anyone' }, 'yes'],
    [{ type: 'AWS', value: 'arn:aws:iam::123456789012:role/anyone' }, 'no'],
  ])('%j may assume the role: %s', (principal, expected) => {
    expect(decide(trust, { action: 'sts:AssumeRole', principal })).toBe(expected);
  });

  it('matches everyone for Principal "*" and everyone else for NotPrincipal', () => {
    expect(
      decide([{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }], {
        action: 'sts:AssumeRole',
        principal: { type: 'Service', value: 'anything.amazonaws.com' },
      }),
    ).toBe('yes');
    const notPrincipal = [{ Effect: 'Allow', NotPrincipal: { AWS: '123456789012' }, Action: 'sts:AssumeRole' }];
    expect(
      decide(notPrincipal, {
        action: 'sts:AssumeRole',
        principal: { type: 'AWS', value: 'arn:aws:iam::999999999999:user/x' },
      }),
    ).toBe('yes');
    expect(
      decide(notPrincipal, {
        action: 'sts:AssumeRole',
        principal: { type: 'AWS', value: 'arn:aws:iam::123456789012:user/x' },
      }),
    ).toBe('no');
  });
});

describe('PolicyEvaluator: candidate actions', () => {
  it('expands wildcards and NotAction against the catalog and keeps undocumented patterns', () => {
    const { actions, unknown, wildcardServices } = evaluator([
      { Effect: 'Allow', Action: ['iam:Put*Policy', 'madeup:DoThing'], Resource: '*' },
      { Effect: 'Allow', Action: 'sts:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', Resource: '*' },
    ]).candidateActions();
    expect(actions.map((a) => a.name)).toEqual(
      expect.arrayContaining(['iam:PutGroupPolicy', 'iam:PutRolePolicy', 'iam:PutUserPolicy', 'sts:AssumeRole']),
    );
    expect(actions.some((a) => a.service === 's3')).toBe(false);
    expect(unknown).toEqual(['madeup:dothing']);
    expect([...wildcardServices]).toEqual(['sts']);
  });
});

// The reference below is written independently of the evaluator: regular expressions over the raw
// JSON, the textbook order (explicit deny, then allow, then implicit deny), no normalisation.
const ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  'iam:PassRole',
  'iam:PutRolePolicy',
  'ec2:RunInstances',
  'sts:AssumeRole',
];
const RESOURCES = [
  'arn:aws:s3:::data/a',
  'arn:aws:s3:::logs/b',
  'arn:aws:iam::123456789012:role/app',
  'arn:aws:ec2:us-east-1:123456789012:instance/i-1',
  '*',
];
const ACTION_PATTERNS = [...ACTIONS, 's3:*', 'iam:P*', '*', 'ec2:Run?nstances', 'S3:getobject', 'sts:*Role'];
const RESOURCE_PATTERNS = [
  ...RESOURCES,
  'arn:aws:s3:::data/*',
  'arn:aws:s3:::*',
  'arn:aws:iam::*:role/*',
  'arn:aws-cn:s3:::*',
];
const CONTEXT = { 'test:team': ['blue'] };

const globToRegExp = (glob: string, flags: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    flags,
  );
const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string]);

const referenceDecision = (statements: Raw[], action: string, resource: string): 'yes' | 'no' => {
  const applies = (s: Raw) => {
    const actionHit = (list: unknown) => asList(list).some((p) => globToRegExp(p, 'i').test(action));
    const resourceHit = (list: unknown) => asList(list).some((p) => globToRegExp(p, '').test(resource));
    const actionOk = s.Action !== undefined ? actionHit(s.Action) : !actionHit(s.NotAction);
    const resourceOk = s.Resource !== undefined ? resourceHit(s.Resource) : !resourceHit(s.NotResource);
    const team = (s.Condition as { StringEquals?: Record<string, string> } | undefined)?.StringEquals?.['test:team'];
    const conditionOk = team === undefined || team === CONTEXT['test:team'][0];
    return actionOk && resourceOk && conditionOk;
  };
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return 'no';
  return statements.some((s) => s.Effect === 'Allow' && applies(s)) ? 'yes' : 'no';
};

const statementArbitrary = fc
  .record({
    Effect: fc.constantFrom('Allow', 'Deny'),
    actions: fc.uniqueArray(fc.constantFrom(...ACTION_PATTERNS), { minLength: 1, maxLength: 3 }),
    notAction: fc.boolean(),
    resources: fc.uniqueArray(fc.constantFrom(...RESOURCE_PATTERNS), { minLength: 1, maxLength: 3 }),
    notResource: fc.boolean(),
    team: fc.option(fc.constantFrom('blue', 'red'), { nil: undefined }),
  })
  .map(({ Effect, actions, notAction, resources, notResource, team }) => ({
    Effect,
    [notAction ? 'NotAction' : 'Action']: actions,
    [notResource ? 'NotResource' : 'Resource']: resources,
    ...(team ? { Condition: { StringEquals: { 'test:team': team } } } : {}),
  }));

describe('PolicyEvaluator agrees with a brute-force reference', () => {
  it('on random small policies over a fixed action and resource universe', () => {
    fc.assert(
      fc.property(fc.array(statementArbitrary, { minLength: 1, maxLength: 5 }), (statements) => {
        const subject = evaluator(statements);
        for (const action of ACTIONS) {
          for (const resource of RESOURCES) {
            const got = subject.evaluate({ action, resource, context: CONTEXT }).decision;
            expect(got, JSON.stringify({ statements, action, resource })).toBe(
              referenceDecision(statements, action, resource),
            );
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('and its candidate actions include every action the reference allows somewhere', () => {
    fc.assert(
      fc.property(fc.array(statementArbitrary, { minLength: 1, maxLength: 5 }), (statements) => {
        const names = new Set(
          evaluator(statements)
            .candidateActions()
            .actions.map((a) => a.name),
        );
        for (const action of ACTIONS) {
          if (RESOURCES.some((resource) => referenceDecision(statements, action, resource) === 'yes')) {
            expect(names.has(action)).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
