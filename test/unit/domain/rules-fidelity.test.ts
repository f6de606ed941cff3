import { describe, expect, it } from 'vitest';
import { AWS_DEFAULT_BASELINE } from '../../../src/domain/baseline.js';
import type { Finding } from '../../../src/domain/finding.js';
import type { EventTarget, JobDefinition, RoleState } from '../../../src/domain/model.js';
import { normalisePolicy } from '../../../src/domain/policy.js';
import { type Inventory, planReferences } from '../../../src/domain/references.js';
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
  trustOf,
} from '../../support/domain.js';

const OTHER = '210987654321';
const summary = (findings: readonly Finding[]) => findings.map((f) => [f.rule, f.severity, f.resource.name]);
const doc = (...statements: Record<string, unknown>[]) => normalisePolicy({ Statement: statements });
const jdArn = (name: string, revision: number) =>
  `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/${name}:${revision}`;
const definition = (name: string, revision: number, overrides: Partial<JobDefinition> = {}): JobDefinition => ({
  arn: jdArn(name, revision),
  name: `${name}:${revision}`,
  region: 'us-east-1',
  platformCapabilities: ['EC2'],
  jobRoles: [],
  executionRoles: [],
  containersWithoutExecutionRole: 0,
  ...overrides,
});
const ADMIN = { arn: aws('AdministratorAccess'), name: 'AdministratorAccess' };
const jobRole = (name: string, overrides: Partial<RoleState> = {}) =>
  found(role(name, 'ecs-tasks.amazonaws.com', overrides));

describe('references that do not resolve to the role audited', () => {
  it('reports a job role of another account once, and does not audit the local namesake in its place', () => {
    const inventory: Inventory = {
      computeEnvironments: [ce('ce-a')],
      jobDefinitions: [definition('etl', 1, { jobRoles: [`arn:aws:iam::${OTHER}:role/etl-job`] })],
    };
    // The local etl-job has AdministratorAccess: judged in place of the foreign role it would be critical.
    const findings = evaluateInventory(
      inventory,
      snapshotOf({ ...documentedRoles(), 'etl-job': jobRole('etl-job', { attachedPolicies: [ADMIN] }) }),
    );
    expect(summary(findings.filter((f) => f.rule !== 'service-role-not-slr'))).toEqual([
      ['role-reference-unresolved', 'high', 'etl-job'],
    ]);
    expect(findings[0]?.resource.arn).toBe(`arn:aws:iam::${OTHER}:role/etl-job`);
    expect(findings[0]?.jobDefinitions).toEqual([jdArn('etl', 1)]);
    const plan = planReferences(inventory, {
      serviceLinkedRoleName: 'AWSServiceRoleForBatch',
      account: ACCOUNT,
      partition: 'aws',
    });
    expect(plan.roles.has('etl-job')).toBe(false);
  });

  it.each([
    ['a Spot Fleet role ARN without the role’s path', 'spotIamFleetRole', roleArn('spot-fleet'), 'spot-fleet-role'],
    ['a service role ARN with another path', 'serviceRole', roleArn('AWSBatchServiceRole', '/batch/'), 'service-role'],
  ] as const)('reports %s (Batch passes the ARN as given)', (_label, field, given, kind) => {
    const spot = role('spot-fleet', 'spotfleet.amazonaws.com', {
      path: '/service-role/',
      arn: roleArn('spot-fleet', '/service-role/'),
      attachedPolicies: [
        { arn: aws('service-role/AmazonEC2SpotFleetTaggingRole'), name: 'AmazonEC2SpotFleetTaggingRole' },
      ],
    });
    const environment = ce('spot', {
      resourceType: 'SPOT',
      spotIamFleetRole: roleArn('spot-fleet', '/service-role/'),
      [field]: given,
    });
    const findings = evaluateInventory(
      { computeEnvironments: [environment] },
      snapshotOf({ ...documentedRoles(), 'spot-fleet': found(spot) }),
    );
    const unresolved = findings.filter((f) => f.rule === 'role-reference-unresolved');
    expect(unresolved.map((f) => [f.severity, f.roleKind, f.subject, f.computeEnvironments])).toEqual([
      ['high', kind, given, [ceArn('spot')]],
    ]);
    // The role the reference missed is not judged for this compute environment.
    expect(findings.filter((f) => f.rule !== 'role-reference-unresolved' && f.roleKind === kind)).toEqual([]);
  });

  it('reports an instance profile of another account, and a role of another partition', () => {
    const findings = evaluateInventory(
      {
        computeEnvironments: [
          ce('ce-a', {
            instanceRole: `arn:aws:iam::${OTHER}:instance-profile/ecsInstanceRole`,
            serviceRole: 'arn:aws-cn:iam::123456789012:role/service-role/AWSBatchServiceRole',
          }),
        ],
      },
      snapshotOf(documentedRoles()),
    );
    expect(findings.map((f) => [f.rule, f.resource.type, f.title])).toEqual([
      [
        'role-reference-unresolved',
        'role',
        'service-role arn:aws-cn:iam::123456789012:role/service-role/AWSBatchServiceRole is in partition aws-cn, not the audited one',
      ],
      [
        'role-reference-unresolved',
        'instance-profile',
        `instance-role arn:aws:iam::${OTHER}:instance-profile/ecsInstanceRole is in account ${OTHER}, not the audited one`,
      ],
    ]);
  });

  it('links an INVALID compute environment to the unresolved reference that explains it', () => {
    const environment = ce('spot', {
      resourceType: 'SPOT',
      spotIamFleetRole: roleArn('spot-fleet'),
      status: 'INVALID',
      statusReason: 'CLIENT_ERROR - Parameter: SpotFleetRequestConfig.IamFleetRole is invalid',
    });
    const spot = role('spot-fleet', 'spotfleet.amazonaws.com', {
      path: '/service-role/',
      arn: roleArn('spot-fleet', '/service-role/'),
    });
    const findings = evaluateInventory(
      { computeEnvironments: [environment] },
      snapshotOf({ ...documentedRoles(), 'spot-fleet': found(spot) }),
    );
    const invalid = findings.find((f) => f.rule === 'compute-environment-invalid');
    const cause = findings.find((f) => f.rule === 'role-reference-unresolved');
    expect(cause).toBeDefined();
    expect(invalid?.related).toEqual([cause?.id]);
  });
});

describe('EventBridge targets judged as IAM judges SubmitJob', () => {
  const QUEUE = `arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/nightly`;
  const RULE = `arn:aws:events:us-east-1:${ACCOUNT}:rule/nightly`;
  const target = (jobDefinition: string, overrides: Partial<EventTarget> = {}): EventTarget => ({
    ruleArn: RULE,
    ruleName: 'nightly',
    region: 'us-east-1',
    jobQueueArn: QUEUE,
    roleArn: roleArn('events-submit'),
    jobDefinition,
    ...overrides,
  });
  const submitOn = (...resources: string[]) =>
    found(
      role('events-submit', 'events.amazonaws.com', {
        inlinePolicies: [
          { name: 'submit', document: doc({ Effect: 'Allow', Action: 'batch:SubmitJob', Resource: resources }) },
        ],
      }),
    );
  const judge = (targets: EventTarget[], events: ReturnType<typeof submitOn>) =>
    evaluateInventory(
      {
        computeEnvironments: [ce('ce-a')],
        jobDefinitions: [definition('report', 1), definition('report', 2)],
        eventTargets: targets,
      },
      snapshotOf({ ...documentedRoles(), 'events-submit': events }),
    ).filter((f) => f.rule === 'eventbridge-role-cannot-submit');

  it.each([
    ['a policy naming only the queue', [target('report')], [QUEUE], [`${QUEUE} and ${jdArn('report', 2)}`]],
    [
      'the documented job-definition/NAME:* form',
      [target('report')],
      [QUEUE, `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/report:*`],
      [],
    ],
    [
      'a bare name resolved to the latest ACTIVE revision',
      [target('report')],
      [QUEUE, jdArn('report', 1)],
      [`${QUEUE} and ${jdArn('report', 2)}`],
    ],
    ['a pinned name:revision', [target('report:1')], [QUEUE, jdArn('report', 1)], []],
    [
      'an ARN without revision resolved to the latest',
      [target(`arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/report`)],
      [QUEUE, jdArn('report', 2)],
      [],
    ],
    [
      'every target of the rule, not only the first',
      [target('report:1'), target('report:2', { jobQueueArn: `${QUEUE}-b` })],
      [QUEUE, jdArn('report', 1)],
      [`${QUEUE}-b and ${jdArn('report', 2)}`],
    ],
  ])('%s', (_label, targets, resources, expected) => {
    expect(
      judge(targets, submitOn(...resources)).map((f) => f.expected.replace('batch:SubmitJob allowed on ', '')),
    ).toEqual(expected);
  });
});

describe('superseded job definition revisions', () => {
  const environment = ce('ce-a');
  const revisions = [
    definition('etl', 1, { jobRoles: [roleArn('old-job')] }),
    definition('etl', 2, { jobRoles: [roleArn('old-job')] }),
    definition('etl', 3, { jobRoles: [roleArn('etl-job')] }),
  ];
  const roles = { ...documentedRoles(), 'etl-job': jobRole('etl-job'), 'old-job': { status: 'missing' as const } };

  it('audits the latest revision and reports older ones with a missing role once, at low', () => {
    const findings = evaluateInventory(
      { computeEnvironments: [environment], jobDefinitions: revisions },
      snapshotOf(roles),
    );
    expect(summary(findings.filter((f) => f.rule !== 'service-role-not-slr'))).toEqual([
      ['job-definition-revision-stale', 'low', 'etl'],
    ]);
    const [stale] = findings.filter((f) => f.rule === 'job-definition-revision-stale');
    expect(stale?.jobDefinitions).toEqual([jdArn('etl', 1), jdArn('etl', 2)]);
    expect(stale?.remediation).toBe(
      'for r in 1 2; do aws batch deregister-job-definition --region us-east-1 --job-definition etl:$r; done',
    );
  });

  it('treats a revision an EventBridge target pins as in use', () => {
    const findings = evaluateInventory(
      {
        computeEnvironments: [environment],
        jobDefinitions: revisions,
        eventTargets: [
          {
            ruleArn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/r`,
            ruleName: 'r',
            region: 'us-east-1',
            jobQueueArn: `arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/q`,
            jobDefinition: 'etl:1',
          },
        ],
      },
      snapshotOf(roles),
    );
    const missing = findings.find((f) => f.rule === 'role-missing');
    expect(missing?.jobDefinitions).toEqual([jdArn('etl', 1)]);
    expect(findings.find((f) => f.rule === 'job-definition-revision-stale')?.jobDefinitions).toEqual([jdArn('etl', 2)]);
  });

  it('leaves older revisions alone when their roles are fine', () => {
    const fine = revisions.map((d) => ({ ...d, jobRoles: [roleArn('etl-job')] }));
    const findings = evaluateInventory({ computeEnvironments: [environment], jobDefinitions: fine }, snapshotOf(roles));
    expect(findings.filter((f) => f.rule !== 'service-role-not-slr')).toEqual([]);
  });
});

describe('the legacy Spot Fleet role policy', () => {
  const legacy = found(
    role('spot-fleet', 'spotfleet.amazonaws.com', {
      attachedPolicies: [{ arn: aws('service-role/AmazonEC2SpotFleetRole'), name: 'AmazonEC2SpotFleetRole' }],
    }),
  );
  const spotOn = (serviceRole: string | undefined) =>
    ce('spot', { resourceType: 'SPOT', spotIamFleetRole: roleArn('spot-fleet'), serviceRole });
  const slr = found(
    role('AWSServiceRoleForBatch', 'batch.amazonaws.com', {
      path: '/aws-service-role/batch.amazonaws.com/',
      attachedPolicies: [{ arn: aws('aws-service-role/BatchServiceRolePolicy'), name: 'BatchServiceRolePolicy' }],
    }),
  );
  const spotFindings = (serviceRole: string | undefined) =>
    evaluateInventory(
      { computeEnvironments: [spotOn(serviceRole)] },
      snapshotOf({ ...documentedRoles(), AWSServiceRoleForBatch: slr, 'spot-fleet': legacy }),
    ).filter((f) => f.roleKind === 'spot-fleet-role');

  it('is one high finding when the compute environment uses the service-linked role (Spot instances cannot be tagged)', () => {
    expect(summary(spotFindings(undefined))).toEqual([['deprecated-managed-policy', 'high', 'spot-fleet']]);
  });

  it('is one medium finding with a customer service role', () => {
    expect(summary(spotFindings(roleArn('AWSBatchServiceRole', '/service-role/')))).toEqual([
      ['deprecated-managed-policy', 'medium', 'spot-fleet'],
    ]);
  });
});

describe('partitions', () => {
  const cnArn = (name: string, path = '/') => `arn:aws-cn:iam::${ACCOUNT}:role${path}${name}`;
  const cnPolicy = (key: string) => `arn:aws-cn:iam::aws:policy/${key}`;
  const cnInstanceRole = (service: string, attached = true) =>
    found(
      role('ecsInstanceRole', service, {
        arn: cnArn('ecsInstanceRole'),
        attachedPolicies: attached
          ? [
              {
                arn: cnPolicy('service-role/AmazonEC2ContainerServiceforEC2Role'),
                name: 'AmazonEC2ContainerServiceforEC2Role',
              },
            ]
          : [],
      }),
    );
  const cnEnvironment = ce('ce-cn', {
    arn: `arn:aws-cn:batch:cn-north-1:${ACCOUNT}:compute-environment/ce-cn`,
    region: 'cn-north-1',
    serviceRole: undefined,
  });
  const slr = found(
    role('AWSServiceRoleForBatch', 'batch.amazonaws.com', {
      arn: cnArn('AWSServiceRoleForBatch', '/aws-service-role/batch.amazonaws.com/'),
      path: '/aws-service-role/batch.amazonaws.com/',
      attachedPolicies: [{ arn: cnPolicy('aws-service-role/BatchServiceRolePolicy'), name: 'BatchServiceRolePolicy' }],
    }),
  );
  const judge = (instanceRole: ReturnType<typeof cnInstanceRole>) =>
    evaluateInventory(
      { computeEnvironments: [cnEnvironment] },
      snapshotOf(
        { AWSServiceRoleForBatch: slr, ecsInstanceRole: instanceRole },
        { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) },
      ),
      AWS_DEFAULT_BASELINE,
      'aws-cn',
    );

  it.each([['ec2.amazonaws.com.cn'], ['ec2.amazonaws.com']])(
    'accepts an instance role trusting %s in aws-cn',
    (service) => {
      expect(judge(cnInstanceRole(service))).toEqual([]);
    },
  );

  it('writes fixes in the caller’s partition: its EC2 principal and its managed-policy ARNs', () => {
    const findings = judge(cnInstanceRole('lambda.amazonaws.com', false));
    expect(findings.map((f) => [f.rule, f.remediation]).sort()).toEqual([
      [
        'managed-policy-missing',
        'aws iam attach-role-policy --role-name ecsInstanceRole --policy-arn arn:aws-cn:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role',
      ],
      [
        'trust-principal-unexpected',
        `Remove Service:lambda.amazonaws.com from the trust policy: aws iam update-assume-role-policy --role-name ecsInstanceRole --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com.cn"},"Action":"sts:AssumeRole"}]}'`,
      ],
      [
        'trust-service-missing',
        `aws iam update-assume-role-policy --role-name ecsInstanceRole --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com.cn"},"Action":"sts:AssumeRole"}]}'`,
      ],
    ]);
  });

  it('in the aws partition the .cn spelling is another service', () => {
    const findings = evaluateInventory(
      { computeEnvironments: [ce('ce-a')] },
      snapshotOf(
        {
          ...documentedRoles(),
          ecsInstanceRole: found(
            role('ecsInstanceRole', 'ec2.amazonaws.com.cn', {
              attachedPolicies: [
                {
                  arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'),
                  name: 'AmazonEC2ContainerServiceforEC2Role',
                },
              ],
            }),
          ),
        },
        { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) },
      ),
    );
    expect(findings.map((f) => f.rule)).toContain('trust-service-missing');
  });
});

describe('an instance profile shared by ECS and EKS compute environments', () => {
  it('is judged against each kind that uses it, each with its own compute environments', () => {
    const shared = found(
      role('nodes', 'ec2.amazonaws.com', {
        attachedPolicies: [
          { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'AmazonEC2ContainerServiceforEC2Role' },
        ],
        trustPolicy: trustOf('ec2.amazonaws.com'),
      }),
    );
    const ecs = ce('ecs', { instanceRole: 'nodes' });
    const eks = ce('eks', { instanceRole: 'nodes', orchestration: 'EKS', serviceRole: undefined });
    const slr = found(
      role('AWSServiceRoleForBatch', 'batch.amazonaws.com', {
        path: '/aws-service-role/batch.amazonaws.com/',
        arn: roleArn('AWSServiceRoleForBatch', '/aws-service-role/batch.amazonaws.com/'),
        attachedPolicies: [{ arn: aws('aws-service-role/BatchServiceRolePolicy'), name: 'BatchServiceRolePolicy' }],
      }),
    );
    for (const order of [
      [ecs, eks],
      [eks, ecs],
    ]) {
      const findings = evaluateInventory(
        { computeEnvironments: order },
        snapshotOf(
          { ...documentedRoles(), AWSServiceRoleForBatch: slr, nodes: shared },
          { nodes: found(profile('nodes', ['nodes'])) },
        ),
      ).filter((f) => f.resource.name === 'nodes');
      expect(findings.map((f) => [f.rule, f.roleKind, f.severity, f.computeEnvironments])).toEqual([
        ['managed-policy-missing', 'eks-node-role', 'high', [ceArn('eks')]],
        ['instance-role-wrong-orchestration', 'eks-node-role', 'low', [ceArn('eks')]],
        ['managed-policy-missing', 'eks-node-role', 'info', [ceArn('eks')]],
      ]);
    }
  });
});

describe('own policies equivalent to the documented managed policy', () => {
  it('satisfy the instance role (info: they will not follow AWS updates); a missing action is still high', () => {
    const actions = AWS_DEFAULT_BASELINE.roleKinds['instance-role'].requiredEquivalents?.[
      'service-role/AmazonEC2ContainerServiceforEC2Role'
    ] as string[];
    const withActions = (granted: string[]) =>
      evaluateInventory(
        { computeEnvironments: [ce('ce-a')] },
        snapshotOf(
          {
            ...documentedRoles(),
            ecsInstanceRole: found(
              role('ecsInstanceRole', 'ec2.amazonaws.com', {
                inlinePolicies: [{ name: 'ecs', document: doc({ Effect: 'Allow', Action: granted, Resource: '*' }) }],
              }),
            ),
          },
          { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) },
        ),
      ).filter((f) => f.rule === 'managed-policy-missing');
    expect(withActions(actions).map((f) => f.severity)).toEqual(['info']);
    const withoutPoll = withActions(actions.filter((a) => a !== 'ecs:Poll'));
    expect(withoutPoll.map((f) => [f.severity, f.actual.endsWith('missing on every resource: ecs:Poll')])).toEqual([
      ['high', true],
    ]);
  });
});
