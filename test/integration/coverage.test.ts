import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateJobQueueCommand, RegisterJobDefinitionCommand } from '@aws-sdk/client-batch';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { AttachRolePolicyCommand, CreateRoleCommand, DeleteRoleCommand } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/domain/finding.js';
import { cli } from '../support/cli.js';
import { reportSchemaErrors } from '../support/schema.js';
import {
  ACCOUNT,
  awsPolicy,
  createComputeEnvironment,
  createRole,
  type SeedClients,
  seedByTheDocs,
  seedClients,
  trustFor,
} from '../support/seed.js';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

const audit = async (...extra: string[]) => {
  const { code, out } = await cli('audit', '--format', 'json', '--quiet', ...extra);
  const report = JSON.parse(out);
  expect(reportSchemaErrors(report)).toEqual([]);
  return { code, report, findings: report.findings as Finding[] };
};

const byRule = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);

let clients: SeedClients;
let seeded: Awaited<ReturnType<typeof seedByTheDocs>>;
let ceArn: string;

beforeEach(async () => {
  clients = seedClients(process.env.AWS_ENDPOINT_URL ?? '');
  seeded = await seedByTheDocs(clients);
  ceArn = await createComputeEnvironment(clients, {
    name: 'genomics',
    serviceRoleArn: seeded.serviceRoleArn,
    type: 'EC2',
    instanceProfile: 'ecsInstanceRole',
  });
});

const register = (input: ConstructorParameters<typeof RegisterJobDefinitionCommand>[0]) =>
  clients.batch('us-east-1').send(new RegisterJobDefinitionCommand(input));

describe('complete Batch coverage against moto', () => {
  it('audits job and execution roles from job definitions, and cross-wired instance roles', async () => {
    // Prepare
    const execRole = await createRole(clients, {
      name: 'ecsTaskExecutionRole',
      trust: trustFor('ec2.amazonaws.com'),
      managed: [awsPolicy('service-role/AmazonECSTaskExecutionRolePolicy')],
      inline: {
        'read-secrets': {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'kms:Decrypt'], Resource: '*' }],
        },
      },
    });
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AmazonEKSWorkerNodePolicy') }),
    );
    const jobRole = await createRole(clients, {
      name: 'AWSBatchJobRoleEtl',
      trust: trustFor('ecs-tasks.amazonaws.com'),
      managed: [awsPolicy('AdministratorAccess')],
    });
    const shared = await createRole(clients, {
      name: 'shared-task-role',
      trust: trustFor('ecs-tasks.amazonaws.com'),
      managed: [awsPolicy('service-role/AmazonECSTaskExecutionRolePolicy')],
    });
    await register({
      jobDefinitionName: 'fargate-no-exec',
      type: 'container',
      platformCapabilities: ['FARGATE'],
      containerProperties: {
        image: 'busybox',
        resourceRequirements: [
          { type: 'VCPU', value: '1' },
          { type: 'MEMORY', value: '2048' },
        ],
        networkConfiguration: { assignPublicIp: 'DISABLED' },
      },
    });
    await register({
      jobDefinitionName: 'etl',
      type: 'container',
      containerProperties: { image: 'busybox', vcpus: 1, memory: 512, jobRoleArn: jobRole, executionRoleArn: execRole },
    });
    await register({
      jobDefinitionName: 'shared',
      type: 'container',
      containerProperties: { image: 'busybox', vcpus: 1, memory: 512, jobRoleArn: shared, executionRoleArn: shared },
    });
    // Act
    const { findings, report } = await audit();
    // Assess
    expect(byRule(findings, 'job-definition-execution-role-missing').map((f) => f.resource.name)).toEqual([
      'fargate-no-exec:1',
    ]);
    expect(byRule(findings, 'trust-service-missing').map((f) => [f.resource.name, f.roleKind])).toEqual([
      ['ecsTaskExecutionRole', 'execution-role'],
    ]);
    const admin = byRule(findings, 'dangerous-permission');
    expect(admin.map((f) => [f.resource.name, f.roleKind, f.severity])).toEqual([
      ['AWSBatchJobRoleEtl', 'job-role', 'critical'],
    ]);
    expect(admin[0]?.jobDefinitions).toEqual([`arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/etl:1`]);
    expect(byRule(findings, 'role-used-as-job-and-execution').map((f) => [f.resource.name, f.severity])).toEqual([
      ['shared-task-role', 'info'],
    ]);
    expect(byRule(findings, 'execution-role-secrets-wildcard').map((f) => [f.resource.name, f.subject])).toEqual([
      ['ecsTaskExecutionRole', 'secretsmanager:GetSecretValue,kms:Decrypt'],
    ]);
    expect(byRule(findings, 'instance-role-wrong-orchestration').map((f) => [f.resource.name, f.severity])).toEqual([
      ['ecsInstanceRole', 'low'],
    ]);
    expect(report.complete).toBe(true);
  });

  it('finds EventBridge rules that submit to a job queue and checks their role', async () => {
    // Prepare
    const queue = await clients.batch('us-east-1').send(
      new CreateJobQueueCommand({
        jobQueueName: 'nightly',
        priority: 1,
        state: 'ENABLED',
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: ceArn }],
      }),
    );
    const weak = await createRole(clients, {
      name: 'events-submit-wrong-queue',
      trust: trustFor('events.amazonaws.com'),
      inline: {
        submit: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'batch:SubmitJob',
              Resource: `arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/other`,
            },
          ],
        },
      },
    });
    const events = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: process.env.AWS_ENDPOINT_URL ?? '',
      credentials,
    });
    await events.send(new PutRuleCommand({ Name: 'nightly-etl', ScheduleExpression: 'cron(0 2 * * ? *)' }));
    await events.send(
      new PutTargetsCommand({
        Rule: 'nightly-etl',
        Targets: [
          {
            Id: 'batch',
            Arn: queue.jobQueueArn,
            RoleArn: weak,
            BatchParameters: { JobDefinition: 'etl', JobName: 'nightly-etl' },
          },
        ],
      }),
    );
    // Act
    const { findings } = await audit();
    // Assess
    const cannot = byRule(findings, 'eventbridge-role-cannot-submit');
    expect(cannot.map((f) => [f.resource.name, f.severity])).toEqual([['events-submit-wrong-queue', 'high']]);
    expect(cannot[0]?.eventRules).toEqual([`arn:aws:events:us-east-1:${ACCOUNT}:rule/nightly-etl`]);
    expect(cannot[0]?.jobQueues).toEqual([queue.jobQueueArn]);
    // The instance role's blast radius names the queue that feeds its compute environment.
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AmazonS3FullAccess') }),
    );
    const again = await audit();
    expect(byRule(again.findings, 'dangerous-permission')[0]?.jobQueues).toEqual([queue.jobQueueArn]);
  });

  it('reports an impostor service-linked role and missing Spot service-linked roles', async () => {
    // Prepare
    const impostor = await createRole(clients, {
      name: 'AWSServiceRoleForBatch',
      trust: trustFor('batch.amazonaws.com'),
      managed: [awsPolicy('service-role/AWSBatchServiceRole')],
    });
    await createComputeEnvironment(clients, { name: 'impostor-ce', serviceRoleArn: impostor, type: 'FARGATE' });
    await createComputeEnvironment(clients, {
      name: 'spot-ce',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'SPOT',
      instanceProfile: 'ecsInstanceRole',
      spotFleetRoleArn: seeded.spotRoleArn,
    });
    await clients.iam.send(new DeleteRoleCommand({ RoleName: 'AWSServiceRoleForEC2Spot' }));
    // Act
    const { findings } = await audit();
    // Assess
    expect(byRule(findings, 'service-linked-role-impostor').map((f) => [f.resource.arn, f.severity])).toEqual([
      [`arn:aws:iam::${ACCOUNT}:role/AWSServiceRoleForBatch`, 'high'],
    ]);
    expect(
      byRule(findings, 'spot-service-linked-role-missing').map((f) => [f.resource.name, f.computeEnvironments.length]),
    ).toEqual([['AWSServiceRoleForEC2Spot', 1]]);
  });

  it('reports a role deleted and recreated under the same name after capture', async () => {
    // Prepare: capture an account whose SPOT environment uses the Spot Fleet role, then recreate that role.
    await createComputeEnvironment(clients, {
      name: 'spot-ce',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'SPOT',
      instanceProfile: 'ecsInstanceRole',
      spotFleetRoleArn: seeded.spotRoleArn,
    });
    const file = join(mkdtempSync(join(tmpdir(), 'bid-coverage-')), 'baseline.yaml');
    expect((await cli('baseline', 'capture', '--output', file, '--quiet')).code).toBe(0);
    const { DetachRolePolicyCommand } = await import('@aws-sdk/client-iam');
    const policyArn = awsPolicy('service-role/AmazonEC2SpotFleetTaggingRole');
    await clients.iam.send(
      new DetachRolePolicyCommand({ RoleName: 'AmazonEC2SpotFleetTaggingRole', PolicyArn: policyArn }),
    );
    await clients.iam.send(new DeleteRoleCommand({ RoleName: 'AmazonEC2SpotFleetTaggingRole' }));
    await clients.iam.send(
      new CreateRoleCommand({
        RoleName: 'AmazonEC2SpotFleetTaggingRole',
        AssumeRolePolicyDocument: JSON.stringify(trustFor('spotfleet.amazonaws.com')),
      }),
    );
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'AmazonEC2SpotFleetTaggingRole', PolicyArn: policyArn }),
    );
    // Act
    const { findings } = await audit('--baseline', file);
    // Assess: same name, same policies, same trust; only the id tells.
    expect(findings.map((f) => [f.rule, f.resource.name])).toEqual([
      ['role-recreated', 'AmazonEC2SpotFleetTaggingRole'],
    ]);
  });
});
