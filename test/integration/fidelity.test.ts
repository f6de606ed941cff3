import {
  CreateJobQueueCommand,
  RegisterJobDefinitionCommand,
  type RegisterJobDefinitionCommandInput,
} from '@aws-sdk/client-batch';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { AttachRolePolicyCommand, DeleteRoleCommand } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/domain/finding.js';
import { cli } from '../support/cli.js';
import { reportSchemaErrors } from '../support/schema.js';
import {
  ACCOUNT,
  awsPolicy,
  createComputeEnvironment,
  createProfile,
  createRole,
  type SeedClients,
  seedByTheDocs,
  seedClients,
  trustFor,
} from '../support/seed.js';

const REGION = 'us-east-1';
const OTHER = '210987654321';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

const audit = async () => {
  const { code, out } = await cli('audit', '--format', 'json', '--quiet', '--fail-on', 'info');
  const report = JSON.parse(out);
  expect(reportSchemaErrors(report)).toEqual([]);
  expect(report.complete).toBe(true);
  return { code, findings: report.findings as Finding[] };
};
const atOrAboveMedium = (findings: Finding[]) =>
  findings.filter((f) => ['critical', 'high', 'medium'].includes(f.severity)).map((f) => [f.rule, f.resource.name]);
const byRule = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);
/** The seeded account uses a customer service role on purpose: its info finding is not what these tests are about. */
const beyondServiceRole = (findings: Finding[]) => findings.filter((f) => f.rule !== 'service-role-not-slr');

let clients: SeedClients;
beforeEach(() => {
  clients = seedClients(process.env.AWS_ENDPOINT_URL ?? '');
});

const register = (input: RegisterJobDefinitionCommandInput) =>
  clients.batch(REGION).send(new RegisterJobDefinitionCommand(input));
const fargateJob = (name: string, executionRoleArn: string, image: string) =>
  register({
    jobDefinitionName: name,
    type: 'container',
    platformCapabilities: ['FARGATE'],
    containerProperties: {
      image,
      executionRoleArn,
      resourceRequirements: [
        { type: 'VCPU', value: '1' },
        { type: 'MEMORY', value: '2048' },
      ],
      networkConfiguration: { assignPublicIp: 'DISABLED' },
    },
  });
const events = () =>
  new EventBridgeClient({ region: REGION, endpoint: process.env.AWS_ENDPOINT_URL ?? '', credentials });
const schedule = async (rule: string, queueArn: string, roleArn: string, jobDefinition: string) => {
  await events().send(new PutRuleCommand({ Name: rule, ScheduleExpression: 'cron(0 2 * * ? *)' }));
  await events().send(
    new PutTargetsCommand({
      Rule: rule,
      Targets: [
        {
          Id: 'batch',
          Arn: queueArn,
          RoleArn: roleArn,
          BatchParameters: { JobDefinition: jobDefinition, JobName: rule },
        },
      ],
    }),
  );
};
const queueFor = async (name: string, computeEnvironment: string) =>
  (
    await clients.batch(REGION).send(
      new CreateJobQueueCommand({
        jobQueueName: name,
        priority: 1,
        state: 'ENABLED',
        computeEnvironmentOrder: [{ order: 1, computeEnvironment }],
      }),
    )
  ).jobQueueArn ?? '';
const submitPolicy = (...resources: string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'batch:SubmitJob', Resource: resources }],
});

describe('well-run accounts produce no finding at medium or above', () => {
  it('the AWS Batch console first-run setup: service-linked role, ecsInstanceRole, ecsTaskExecutionRole, a scoped EventBridge role', async () => {
    const slr = await createRole(clients, {
      name: 'AWSServiceRoleForBatch',
      path: '/aws-service-role/batch.amazonaws.com/',
      trust: trustFor('batch.amazonaws.com'),
      managed: [awsPolicy('aws-service-role/BatchServiceRolePolicy')],
    });
    await createRole(clients, {
      name: 'ecsInstanceRole',
      trust: trustFor('ec2.amazonaws.com'),
      managed: [awsPolicy('service-role/AmazonEC2ContainerServiceforEC2Role')],
    });
    await createProfile(clients, 'ecsInstanceRole', 'ecsInstanceRole');
    const execution = await createRole(clients, {
      name: 'ecsTaskExecutionRole',
      trust: trustFor('ecs-tasks.amazonaws.com'),
      managed: [awsPolicy('service-role/AmazonECSTaskExecutionRolePolicy')],
    });
    // Batch reports the service-linked role's ARN as serviceRole for environments created without one.
    const ec2 = await createComputeEnvironment(clients, {
      name: 'getting-started-ec2',
      serviceRoleArn: slr,
      type: 'EC2',
      instanceProfile: 'ecsInstanceRole',
    });
    const fargate = await createComputeEnvironment(clients, {
      name: 'getting-started-fargate',
      serviceRoleArn: slr,
      type: 'FARGATE',
    });
    const queue = await queueFor('getting-started-queue', fargate);
    await queueFor('getting-started-ec2-queue', ec2);
    await fargateJob('getting-started-job', execution, 'public.ecr.aws/amazonlinux/amazonlinux:latest');
    // The Batch guide's scoped EventBridge policy: the queue and every revision of the job definition.
    const eventsRole = await createRole(clients, {
      name: 'Amazon_EventBridge_Invoke_Batch_Job_Queue',
      path: '/service-role/',
      trust: trustFor('events.amazonaws.com'),
      inline: {
        submit: submitPolicy(queue, `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/getting-started-job:*`),
      },
    });
    await schedule('nightly', queue, eventsRole, 'getting-started-job');
    const { findings, code } = await audit();
    expect(atOrAboveMedium(findings)).toEqual([]);
    // Only the Spot service-linked roles' absence could matter, and no SPOT environment exists.
    expect(findings.map((f) => f.rule)).toEqual([]);
    expect(code).toBe(0);
  });

  it('the pre-2021 console setup: service-role/AWSBatchServiceRole without source conditions', async () => {
    const serviceRole = await createRole(clients, {
      name: 'AWSBatchServiceRole',
      path: '/service-role/',
      trust: trustFor('batch.amazonaws.com'),
      managed: [awsPolicy('service-role/AWSBatchServiceRole')],
    });
    await createRole(clients, {
      name: 'ecsInstanceRole',
      trust: trustFor('ec2.amazonaws.com'),
      managed: [awsPolicy('service-role/AmazonEC2ContainerServiceforEC2Role')],
    });
    await createProfile(clients, 'ecsInstanceRole', 'ecsInstanceRole');
    await createComputeEnvironment(clients, {
      name: 'first-run',
      serviceRoleArn: serviceRole,
      type: 'EC2',
      instanceProfile: 'ecsInstanceRole',
    });
    const { findings } = await audit();
    expect(atOrAboveMedium(findings)).toEqual([]);
    expect(findings.map((f) => [f.rule, f.severity]).sort()).toEqual([
      ['service-role-not-slr', 'info'],
      ['trust-confused-deputy', 'low'],
    ]);
  });
});

describe('real-account fidelity against moto', () => {
  let seeded: Awaited<ReturnType<typeof seedByTheDocs>>;
  let ceArn: string;
  beforeEach(async () => {
    seeded = await seedByTheDocs(clients);
    ceArn = await createComputeEnvironment(clients, {
      name: 'fargate',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'FARGATE',
    });
  });

  it('accepts an execution role scoped to its repository and log group, and reports one scoped elsewhere', async () => {
    const image = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/etl:2026-11`;
    const scoped = (repository: string) => ({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
          Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repository}`,
        },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/batch/job:*`,
        },
      ],
    });
    const good = await createRole(clients, {
      name: 'etl-exec',
      trust: trustFor('ecs-tasks.amazonaws.com'),
      inline: { pull: scoped('etl') },
    });
    const wrong = await createRole(clients, {
      name: 'ml-exec',
      trust: trustFor('ecs-tasks.amazonaws.com'),
      inline: { pull: scoped('etl') },
    });
    await fargateJob('etl', good, image);
    await fargateJob('ml', wrong, `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/ml:1`);
    const { findings } = await audit();
    const missing = byRule(findings, 'managed-policy-missing');
    expect(missing.map((f) => [f.resource.name, f.severity])).toEqual([['ml-exec', 'high']]);
    expect(missing[0]?.actual).toContain(
      `ecr:BatchGetImage on arn:aws:ecr:${REGION}:${ACCOUNT}:repository/ml (ml:1 pulls`,
    );
    expect(atOrAboveMedium(findings)).toEqual([['managed-policy-missing', 'ml-exec']]);
  });

  it('audits the latest revision and reports older revisions that still name a deleted role once, at low', async () => {
    const old = await createRole(clients, { name: 'etl-job-old', trust: trustFor('ecs-tasks.amazonaws.com') });
    const current = await createRole(clients, { name: 'etl-job', trust: trustFor('ecs-tasks.amazonaws.com') });
    for (const jobRoleArn of [old, old, current]) {
      await register({
        jobDefinitionName: 'etl',
        type: 'container',
        containerProperties: { image: 'busybox', vcpus: 1, memory: 512, jobRoleArn },
      });
    }
    await clients.iam.send(new DeleteRoleCommand({ RoleName: 'etl-job-old' }));
    const findings = beyondServiceRole((await audit()).findings);
    expect(findings.map((f) => [f.rule, f.severity, f.resource.name])).toEqual([
      ['job-definition-revision-stale', 'low', 'etl'],
    ]);
    expect(findings[0]?.jobDefinitions).toEqual(
      [1, 2].map((r) => `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/etl:${r}`),
    );
  });

  it('does not ask SPOT_CAPACITY_OPTIMIZED environments for a Spot Fleet role', async () => {
    await clients.iam.send(new DeleteRoleCommand({ RoleName: 'AWSServiceRoleForEC2SpotFleet' }));
    await createComputeEnvironment(clients, {
      name: 'spot-optimized',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'SPOT',
      instanceProfile: 'ecsInstanceRole',
      allocationStrategy: 'SPOT_CAPACITY_OPTIMIZED',
    });
    const { findings } = await audit();
    expect(byRule(findings, 'spot-fleet-role-missing')).toEqual([]);
    expect(byRule(findings, 'spot-service-linked-role-missing')).toEqual([]);
    expect(atOrAboveMedium(findings)).toEqual([]);
  });

  it('reports a stale unique-id principal at info', async () => {
    await createRole(clients, {
      name: 'etl-job',
      trust: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
          { Effect: 'Allow', Principal: { AWS: 'AROAQXY2EXAMPLE7WQZ3K' }, Action: 'sts:AssumeRole' },
        ],
      },
    });
    await register({
      jobDefinitionName: 'etl',
      type: 'container',
      containerProperties: {
        image: 'busybox',
        vcpus: 1,
        memory: 512,
        jobRoleArn: `arn:aws:iam::${ACCOUNT}:role/etl-job`,
      },
    });
    const { findings } = await audit();
    expect(byRule(findings, 'trust-principal-unexpected').map((f) => [f.subject, f.severity])).toEqual([
      ['AWS:AROAQXY2EXAMPLE7WQZ3K', 'info'],
    ]);
  });

  it('reports a job role of another account and does not audit the local namesake', async () => {
    await createRole(clients, {
      name: 'etl-job',
      trust: trustFor('ecs-tasks.amazonaws.com'),
      managed: [awsPolicy('AdministratorAccess')],
    });
    await register({
      jobDefinitionName: 'etl',
      type: 'container',
      containerProperties: {
        image: 'busybox',
        vcpus: 1,
        memory: 512,
        jobRoleArn: `arn:aws:iam::${OTHER}:role/etl-job`,
      },
    });
    const { findings } = await audit();
    expect(atOrAboveMedium(findings)).toEqual([['role-reference-unresolved', 'etl-job']]);
    expect(findings[0]?.resource.arn).toBe(`arn:aws:iam::${OTHER}:role/etl-job`);
  });

  it('reports an EventBridge role whose policy names only the queue', async () => {
    const queue = await queueFor('nightly', ceArn);
    await register({
      jobDefinitionName: 'report',
      type: 'container',
      containerProperties: { image: 'busybox', vcpus: 1, memory: 512 },
    });
    const role = await createRole(clients, {
      name: 'events-submit',
      trust: trustFor('events.amazonaws.com'),
      inline: { submit: submitPolicy(queue) },
    });
    await schedule('nightly-report', queue, role, 'report');
    const { findings } = await audit();
    const cannot = byRule(findings, 'eventbridge-role-cannot-submit');
    expect(cannot.map((f) => [f.resource.name, f.severity, f.actual.split(':')[0]])).toEqual([
      ['events-submit', 'high', 'no policy of the role allows batch'],
    ]);
    expect(cannot[0]?.actual).toContain(`arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/report:1`);
  });

  it('reports AmazonSSMManagedInstanceCore on the instance role at low, with its real risk', async () => {
    await createComputeEnvironment(clients, {
      name: 'ec2',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'EC2',
      instanceProfile: 'ecsInstanceRole',
    });
    await clients.iam.send(
      new AttachRolePolicyCommand({
        RoleName: 'ecsInstanceRole',
        PolicyArn: awsPolicy('AmazonSSMManagedInstanceCore'),
      }),
    );
    const findings = beyondServiceRole((await audit()).findings);
    expect(findings.map((f) => [f.rule, f.severity, f.subject])).toEqual([
      ['managed-policy-unexpected', 'low', awsPolicy('AmazonSSMManagedInstanceCore')],
    ]);
    expect(findings[0]?.actual).toContain('every SSM parameter');
  });
});
