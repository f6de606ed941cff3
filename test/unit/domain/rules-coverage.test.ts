import { describe, expect, it } from 'vitest';
import { AWS_DEFAULT_BASELINE, type BaselineOverlay, overlayBaseline } from '../../../src/domain/baseline.js';
import type {
  ComputeEnvironment,
  EventTarget,
  IamSnapshot,
  JobContainer,
  JobDefinition,
  JobQueue,
  Read,
  RoleState,
} from '../../../src/domain/model.js';
import { normalisePolicy } from '../../../src/domain/policy.js';
import {
  ACCOUNT,
  aws,
  ce,
  ceArn,
  documentedRoles,
  evaluateInventory,
  found,
  profile,
  role,
  roleArn,
  snapshotOf,
} from '../../support/domain.js';

interface World {
  ces?: ComputeEnvironment[];
  queues?: JobQueue[];
  definitions?: JobDefinition[];
  targets?: EventTarget[];
  roles?: Record<string, Read<RoleState>>;
  managed?: [string, string][];
  overlay?: BaselineOverlay;
}

const evaluate = (world: World) => {
  const roles = { ...documentedRoles(), ...world.roles };
  const base = snapshotOf(roles, { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) });
  const snapshot: IamSnapshot = {
    ...base,
    managedPolicies: new Map(
      (world.managed ?? []).map(([arn, v]) => [arn, found({ arn, name: arn, defaultVersionId: v })]),
    ),
  };
  return evaluateInventory(
    {
      computeEnvironments: world.ces ?? [ce('ce-a')],
      jobQueues: world.queues ?? [],
      jobDefinitions: world.definitions ?? [],
      eventTargets: world.targets ?? [],
    },
    snapshot,
    overlayBaseline(AWS_DEFAULT_BASELINE, world.overlay ?? {}),
  );
};

const rules = (world: World) =>
  evaluate(world)
    .filter((f) => f.rule !== 'service-role-not-slr')
    .map((f) => [f.rule, f.severity, f.resource.name]);

const jdArn = (name: string) => `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/${name}:1`;
const jobDefinition = (name: string, overrides: Partial<JobDefinition> = {}): JobDefinition => ({
  arn: jdArn(name),
  name: `${name}:1`,
  region: 'us-east-1',
  platformCapabilities: ['EC2'],
  jobRoles: [],
  executionRoles: [],
  containersWithoutExecutionRole: 0,
  ...overrides,
});
const doc = (...statements: Record<string, unknown>[]) => normalisePolicy({ Statement: statements });
const ecsTasks = (name: string, overrides: Partial<RoleState> = {}) =>
  found(role(name, 'ecs-tasks.amazonaws.com', overrides));
const EXECUTION_POLICY = {
  arn: aws('service-role/AmazonECSTaskExecutionRolePolicy'),
  name: 'AmazonECSTaskExecutionRolePolicy',
};

describe('job definitions', () => {
  it('reports a Fargate job definition without an execution role', () => {
    expect(
      rules({
        definitions: [
          jobDefinition('fargate-job', { platformCapabilities: ['FARGATE'], containersWithoutExecutionRole: 1 }),
        ],
      }),
    ).toEqual([['job-definition-execution-role-missing', 'high', 'fargate-job:1']]);
  });

  it('accepts a by-the-docs execution role with a scoped secrets policy, and a job role with workload policies', () => {
    const findings = rules({
      definitions: [jobDefinition('etl', { executionRoles: [roleArn('exec')], jobRoles: [roleArn('job')] })],
      roles: {
        exec: ecsTasks('exec', {
          attachedPolicies: [EXECUTION_POLICY],
          inlinePolicies: [
            {
              name: 'secrets',
              document: doc({
                Effect: 'Allow',
                Action: ['secretsmanager:GetSecretValue', 'kms:Decrypt'],
                Resource: [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-*`],
              }),
            },
          ],
        }),
        job: ecsTasks('job', {
          attachedPolicies: [
            { arn: aws('AmazonEC2ContainerRegistryReadOnly'), name: 'AmazonEC2ContainerRegistryReadOnly' },
          ],
          inlinePolicies: [
            {
              name: 'results',
              document: doc({
                Effect: 'Allow',
                Action: ['s3:GetObject', 's3:PutObject'],
                Resource: 'arn:aws:s3:::results/*',
              }),
            },
          ],
        }),
      },
    });
    expect(findings).toEqual([]);
  });

  it('reports read access to every object on a job role at medium (data access on every resource)', () => {
    const findings = rules({
      definitions: [jobDefinition('etl', { jobRoles: [roleArn('job')] })],
      roles: {
        job: ecsTasks('job', {
          attachedPolicies: [{ arn: aws('AmazonS3ReadOnlyAccess'), name: 'AmazonS3ReadOnlyAccess' }],
        }),
      },
    });
    expect(findings).toEqual([['data-access', 'medium', 'job']]);
  });

  it.each([
    [
      'an execution role trusting EC2 (the documentation trap)',
      { exec: found(role('exec', 'ec2.amazonaws.com', { attachedPolicies: [EXECUTION_POLICY] })) },
      [
        ['trust-service-missing', 'high', 'exec'],
        ['trust-principal-unexpected', 'medium', 'exec'],
      ],
    ],
    [
      'an execution role that can read every secret',
      {
        exec: ecsTasks('exec', {
          attachedPolicies: [EXECUTION_POLICY],
          inlinePolicies: [
            { name: 's', document: doc({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }) },
          ],
        }),
      },
      [['execution-role-secrets-wildcard', 'medium', 'exec']],
    ],
  ])('reports %s', (_label, roles, expected) => {
    expect(rules({ definitions: [jobDefinition('etl', { executionRoles: [roleArn('exec')] })], roles })).toEqual(
      expected,
    );
  });

  describe('an execution role without AmazonECSTaskExecutionRolePolicy is judged by what its jobs use', () => {
    const IMAGE = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/etl:2026-11`;
    const REPOSITORY = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/etl`;
    const LOG_GROUP = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/batch/job`;
    const fargate = (container: Partial<JobContainer> = {}, platform = 'FARGATE') =>
      jobDefinition('etl', {
        platformCapabilities: [platform],
        executionRoles: [roleArn('exec')],
        containers: [{ executionRole: roleArn('exec'), image: IMAGE, ...container }],
      });
    const withPolicy = (...statements: Record<string, unknown>[]) =>
      ecsTasks('exec', { inlinePolicies: [{ name: 'least-privilege', document: doc(...statements) }] });
    const LEAST_PRIVILEGE = [
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        Resource: REPOSITORY,
      },
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${LOG_GROUP}:*` },
    ];

    it.each([
      ['Fargate, no policy at all', fargate(), ecsTasks('exec'), [['managed-policy-missing', 'high', 'exec']]],
      ['Fargate, pulls scoped to its repository and logs to its group', fargate(), withPolicy(...LEAST_PRIVILEGE), []],
      [
        'Fargate, the same on Resource "*"',
        fargate(),
        withPolicy({
          Effect: 'Allow',
          Action: [
            'ecr:GetAuthorizationToken',
            'ecr:BatchCheckLayerAvailability',
            'ecr:GetDownloadUrlForLayer',
            'ecr:BatchGetImage',
            'logs:CreateLogStream',
            'logs:PutLogEvents',
          ],
          Resource: '*',
        }),
        [],
      ],
      [
        'Fargate, pulls scoped to another repository',
        fargate(),
        withPolicy(
          LEAST_PRIVILEGE[0] as Record<string, unknown>,
          { ...(LEAST_PRIVILEGE[1] as Record<string, unknown>), Resource: `${REPOSITORY}-other` },
          LEAST_PRIVILEGE[2] as Record<string, unknown>,
        ),
        [['managed-policy-missing', 'high', 'exec']],
      ],
      [
        'Fargate, logs to its own group while the policy names the default one',
        fargate({ logGroup: '/jobs/etl' }),
        withPolicy(...LEAST_PRIVILEGE),
        [['managed-policy-missing', 'high', 'exec']],
      ],
      [
        'Fargate, a Deny on the repository',
        fargate(),
        withPolicy(...LEAST_PRIVILEGE, { Effect: 'Deny', Action: 'ecr:BatchGetImage', Resource: REPOSITORY }),
        [['managed-policy-missing', 'high', 'exec']],
      ],
      [
        'Fargate, a private registry with credentials and Splunk logs',
        fargate({
          image: 'registry.example.com/etl:1',
          registryCredentials: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:reg',
          logDriver: 'splunk',
        }),
        ecsTasks('exec'),
        [],
      ],
      ['EC2: the instance role pulls and logs', fargate({}, 'EC2'), ecsTasks('exec'), []],
    ])('%s', (_label, definition, exec, expected) => {
      expect(rules({ definitions: [definition], roles: { exec } })).toEqual(expected);
    });

    it('names what is missing, on which resource, for which job definition', () => {
      const [finding] = evaluate({
        definitions: [fargate({ logGroup: '/jobs/etl' })],
        roles: { exec: withPolicy(...LEAST_PRIVILEGE) },
      });
      expect(finding?.actual).toBe(
        `not allowed: logs:CreateLogStream on arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/jobs/etl:log-stream:etl/default/0 (etl:1 writes logs to /jobs/etl); logs:PutLogEvents on arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/jobs/etl:log-stream:etl/default/0 (etl:1 writes logs to /jobs/etl)`,
      );
    });
  });

  it.each([
    [
      'a job role trusting another service',
      found(role('job', 'lambda.amazonaws.com')),
      [
        ['trust-service-missing', 'high', 'job'],
        ['trust-principal-unexpected', 'medium', 'job'],
      ],
    ],
    [
      'a job role with admin',
      ecsTasks('job', { attachedPolicies: [{ arn: aws('AdministratorAccess'), name: 'AdministratorAccess' }] }),
      [['dangerous-permission', 'critical', 'job']],
    ],
    [
      'a job role with a service wildcard',
      ecsTasks('job', {
        inlinePolicies: [{ name: 'all-s3', document: doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }) }],
      }),
      [['dangerous-permission', 'high', 'job']],
    ],
    [
      'a job role with a FullAccess policy',
      ecsTasks('job', { attachedPolicies: [{ arn: aws('AmazonS3FullAccess'), name: 'AmazonS3FullAccess' }] }),
      [['dangerous-permission', 'high', 'job']],
    ],
  ])('reports %s', (_label, jobRole, expected) => {
    expect(
      rules({ definitions: [jobDefinition('etl', { jobRoles: [roleArn('job')] })], roles: { job: jobRole } }),
    ).toEqual(expected);
  });

  it('notes a role used as both job role and execution role, naming the job definition', () => {
    const findings = evaluate({
      definitions: [jobDefinition('etl', { jobRoles: [roleArn('both')], executionRoles: [roleArn('both')] })],
      roles: { both: ecsTasks('both', { attachedPolicies: [EXECUTION_POLICY] }) },
    }).filter((f) => f.rule === 'role-used-as-job-and-execution');
    expect(findings.map((f) => [f.severity, f.resource.name, f.jobDefinitions])).toEqual([
      ['info', 'both', [jdArn('etl')]],
    ]);
  });
});

describe('EventBridge targets', () => {
  const queue = `arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/nightly`;
  const target = (roleName: string): EventTarget => ({
    ruleArn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/nightly-etl`,
    ruleName: 'nightly-etl',
    region: 'us-east-1',
    jobQueueArn: queue,
    roleArn: roleArn(roleName),
    jobDefinition: jdArn('etl'),
  });
  const events = (name: string, overrides: Partial<RoleState> = {}) =>
    found(role(name, 'events.amazonaws.com', overrides));

  it.each([
    [
      'the documented managed policy',
      events('ev', { attachedPolicies: [{ arn: aws('service-role/AWSBatchServiceEventTargetRole'), name: 'x' }] }),
    ],
    [
      'an inline policy scoped to the queue and definition',
      events('ev', {
        inlinePolicies: [
          {
            name: 'submit',
            document: doc({
              Effect: 'Allow',
              Action: 'batch:SubmitJob',
              Resource: [queue, `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/etl*`],
            }),
          },
        ],
      }),
    ],
  ])('accepts a target role with %s', (_label, ev) => {
    expect(rules({ targets: [target('ev')], roles: { ev } })).toEqual([]);
  });

  it('reports a target role that cannot submit, and one EventBridge cannot assume, with the rule and queue as blast radius', () => {
    const findings = evaluate({
      targets: [target('ev')],
      roles: {
        ev: found(
          role('ev', 'ecs-tasks.amazonaws.com', {
            inlinePolicies: [
              { name: 'x', document: doc({ Effect: 'Allow', Action: 'batch:SubmitJob', Resource: queue }) },
            ],
          }),
        ),
      },
    });
    expect(findings.filter((f) => f.rule !== 'service-role-not-slr').map((f) => [f.rule, f.severity])).toEqual([
      ['eventbridge-role-cannot-submit', 'high'],
      ['trust-service-missing', 'high'],
      ['trust-principal-unexpected', 'medium'],
    ]);
    expect(findings[0]?.actual).toContain(`no policy of the role allows batch:SubmitJob on ${jdArn('etl')}`);
    expect(findings[0]?.eventRules).toEqual([`arn:aws:events:us-east-1:${ACCOUNT}:rule/nightly-etl`]);
    expect(findings[0]?.jobQueues).toEqual([queue]);
  });
});

describe('service roles and service-linked roles', () => {
  const SLR_PATH = '/aws-service-role/batch.amazonaws.com/';
  const slr = (overrides: Partial<RoleState> = {}) =>
    found(
      role('AWSServiceRoleForBatch', 'batch.amazonaws.com', {
        path: SLR_PATH,
        arn: roleArn('AWSServiceRoleForBatch', SLR_PATH),
        attachedPolicies: [{ arn: aws('aws-service-role/BatchServiceRolePolicy'), name: 'BatchServiceRolePolicy' }],
        ...overrides,
      }),
    );

  it('reports an impostor: a role named like the service-linked role at another path', () => {
    const findings = rules({
      ces: [ce('ce-a', { serviceRole: roleArn('AWSServiceRoleForBatch') })],
      roles: {
        AWSServiceRoleForBatch: found(
          role('AWSServiceRoleForBatch', 'batch.amazonaws.com', {
            attachedPolicies: [{ arn: aws('service-role/AWSBatchServiceRole'), name: 'x' }],
          }),
        ),
      },
    });
    expect(findings).toContainEqual(['service-linked-role-impostor', 'high', 'AWSServiceRoleForBatch']);
  });

  it('treats extra policies on the real service-linked role as tampering (high)', () => {
    expect(
      rules({
        ces: [ce('ce-a', { serviceRole: undefined })],
        roles: {
          AWSServiceRoleForBatch: slr({
            attachedPolicies: [
              { arn: aws('aws-service-role/BatchServiceRolePolicy'), name: 'x' },
              { arn: aws('AmazonS3ReadOnlyAccess'), name: 'y' },
            ],
          }),
        },
      }),
    ).toEqual([
      ['managed-policy-unexpected', 'high', 'AWSServiceRoleForBatch'],
      ['data-access', 'medium', 'AWSServiceRoleForBatch'],
    ]);
  });

  it('reports an EKS compute environment on a customer service role, and advises the service-linked role for ECS', () => {
    const findings = evaluate({ ces: [ce('ecs-ce'), ce('eks-ce', { orchestration: 'EKS', instanceRole: undefined })] });
    expect(findings.map((f) => [f.rule, f.severity, f.computeEnvironments])).toEqual([
      ['eks-service-role-not-slr', 'high', [ceArn('eks-ce')]],
      ['service-role-not-slr', 'info', [ceArn('ecs-ce')]],
    ]);
  });

  it('reports a serviceRole given as a bare name while the role has a path', () => {
    expect(rules({ ces: [ce('ce-a', { serviceRole: 'AWSBatchServiceRole' })] })).toEqual([
      ['service-role-name-without-path', 'medium', 'AWSBatchServiceRole'],
    ]);
  });

  it('reports the Spot service-linked roles missing while SPOT compute environments exist', () => {
    const spotRole = found(
      role('spot', 'spotfleet.amazonaws.com', {
        attachedPolicies: [{ arn: aws('service-role/AmazonEC2SpotFleetTaggingRole'), name: 'x' }],
      }),
    );
    const spot = ce('spot-ce', { resourceType: 'SPOT', spotIamFleetRole: roleArn('spot') });
    expect(
      rules({
        ces: [spot],
        roles: {
          spot: spotRole,
          AWSServiceRoleForEC2Spot: { status: 'missing' },
          AWSServiceRoleForEC2SpotFleet: found(role('AWSServiceRoleForEC2SpotFleet', 'spotfleet.amazonaws.com')),
        },
      }),
    ).toEqual([['spot-service-linked-role-missing', 'info', 'AWSServiceRoleForEC2Spot']]);
    expect(
      evaluate({ ces: [spot], roles: { spot: spotRole, AWSServiceRoleForEC2Spot: { status: 'missing' } } }).find(
        (f) => f.rule === 'spot-service-linked-role-missing',
      )?.actual,
    ).toMatch(/may create it on the next scale-out/);
  });

  it('reports a missing Spot service-linked role at medium when the service role cannot create it', () => {
    const roles = documentedRoles();
    const serviceRole = (roles.AWSBatchServiceRole as { value: RoleState }).value;
    const findings = rules({
      ces: [ce('spot-ce', { resourceType: 'SPOT', allocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED' })],
      roles: {
        AWSBatchServiceRole: found({ ...serviceRole, attachedPolicies: [] }),
        AWSServiceRoleForEC2Spot: { status: 'missing' },
        AWSServiceRoleForEC2SpotFleet: { status: 'missing' },
      },
    });
    // Capacity-optimized strategies use neither Spot Fleet nor its role.
    expect(findings.filter(([rule]) => String(rule).startsWith('spot-'))).toEqual([
      ['spot-service-linked-role-missing', 'medium', 'AWSServiceRoleForEC2Spot'],
    ]);
  });

  it.each([
    ['no allocation strategy (BEST_FIT)', undefined, true],
    ['BEST_FIT', 'BEST_FIT', true],
    ['SPOT_CAPACITY_OPTIMIZED', 'SPOT_CAPACITY_OPTIMIZED', false],
    ['SPOT_PRICE_CAPACITY_OPTIMIZED', 'SPOT_PRICE_CAPACITY_OPTIMIZED', false],
  ])('requires a Spot Fleet role with %s: %s', (_label, allocationStrategy, required) => {
    const findings = rules({
      ces: [ce('spot-ce', { resourceType: 'SPOT', ...(allocationStrategy ? { allocationStrategy } : {}) })],
    });
    expect(findings.filter(([rule]) => rule === 'spot-fleet-role-missing')).toEqual(
      required ? [['spot-fleet-role-missing', 'high', 'spot-ce']] : [],
    );
  });
});

describe('more drift', () => {
  it('reports an EKS policy on an ECS instance role as cross-wiring (low)', () => {
    const roles = documentedRoles();
    const instance = (roles.ecsInstanceRole as { value: RoleState }).value;
    expect(
      rules({
        roles: {
          ecsInstanceRole: found({
            ...instance,
            attachedPolicies: [...instance.attachedPolicies, { arn: aws('AmazonEKSWorkerNodePolicy'), name: 'x' }],
          }),
        },
      }),
    ).toEqual([['instance-role-wrong-orchestration', 'low', 'ecsInstanceRole']]);
  });

  it('notes an AWS managed policy updated by AWS since the baseline, and a role recreated under the same name', () => {
    const instanceArn = aws('service-role/AmazonEC2ContainerServiceforEC2Role');
    const overlay: BaselineOverlay = {
      roles: [
        {
          match: { name: 'ecsInstanceRole' },
          roleId: 'AROAOLDONE',
          awsManagedPolicyVersions: { 'service-role/AmazonEC2ContainerServiceforEC2Role': 'v9' },
        },
      ],
    };
    expect(rules({ overlay, managed: [[instanceArn, 'v10']] })).toEqual([
      ['role-recreated', 'medium', 'ecsInstanceRole'],
      ['aws-managed-policy-version-changed', 'info', 'ecsInstanceRole'],
    ]);
  });
});

describe('blast radius and health', () => {
  it('names the job queues behind the compute environments a finding affects', () => {
    const roles = documentedRoles();
    const instance = (roles.ecsInstanceRole as { value: RoleState }).value;
    const findings = evaluate({
      ces: [ce('ce-a'), ce('ce-b')],
      queues: [
        {
          arn: 'arn:aws:batch:us-east-1:123456789012:job-queue/high',
          name: 'high',
          region: 'us-east-1',
          computeEnvironmentArns: [ceArn('ce-a')],
        },
        {
          arn: 'arn:aws:batch:us-east-1:123456789012:job-queue/low',
          name: 'low',
          region: 'us-east-1',
          computeEnvironmentArns: [ceArn('ce-a'), ceArn('ce-b')],
        },
      ],
      roles: { ecsInstanceRole: found({ ...instance, attachedPolicies: [] }) },
    }).filter((f) => f.rule === 'managed-policy-missing');
    expect(findings[0]?.jobQueues).toEqual([
      'arn:aws:batch:us-east-1:123456789012:job-queue/high',
      'arn:aws:batch:us-east-1:123456789012:job-queue/low',
    ]);
  });

  it('links an INVALID compute environment to the drift that explains it', () => {
    const roles = documentedRoles();
    const instance = (roles.ecsInstanceRole as { value: RoleState }).value;
    const findings = evaluate({
      ces: [
        ce('broken', {
          status: 'INVALID',
          statusReason: 'CLIENT_ERROR - none of the instances joined the underlying ECS Cluster',
        }),
      ],
      roles: { ecsInstanceRole: found({ ...instance, attachedPolicies: [] }) },
    });
    const invalid = findings.find((f) => f.rule === 'compute-environment-invalid');
    const cause = findings.find((f) => f.rule === 'managed-policy-missing');
    expect(invalid?.related).toEqual([cause?.id]);
    expect(invalid?.actual).toMatch(
      /likely cause: \[managed-policy-missing\] instance-role ecsInstanceRole is missing AmazonEC2ContainerServiceforEC2Role/,
    );
  });
});
