import {
  AttachRolePolicyCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/app/run-audit.js';
import { createBatchInventory } from '../../src/aws/batch-inventory.js';
import { createBatchClient, createEventBridgeClient, createIamClient, createStsClient } from '../../src/aws/clients.js';
import { createEventTargetFinder } from '../../src/aws/event-targets.js';
import { createPerRoleIamReader } from '../../src/aws/iam-reader.js';
import { createStsIdentity } from '../../src/aws/identity.js';
import { runCli } from '../../src/cli/main.js';
import { AWS_DEFAULT_BASELINE, type Baseline, overlayBaseline } from '../../src/domain/baseline.js';
import { AWS_DEPS } from '../support/cli.js';
import { reportSchemaErrors } from '../support/schema.js';
import {
  ACCOUNT,
  awsPolicy,
  createComputeEnvironment,
  createPolicy,
  createProfile,
  createRole,
  type SeedClients,
  scopedBatchTrust,
  seedByTheDocs,
  seedClients,
  trustFor,
} from '../support/seed.js';

let clients: SeedClients;
let seeded: Awaited<ReturnType<typeof seedByTheDocs>>;

beforeEach(async () => {
  clients = seedClients(process.env.AWS_ENDPOINT_URL ?? '');
  seeded = await seedByTheDocs(clients);
});

/** Runs the audit with the real adapters against moto, counting IAM calls by operation. */
const audit = async (regions: string[] = ['us-east-1'], baseline: Baseline = AWS_DEFAULT_BASELINE) => {
  const iam = createIamClient('us-east-1');
  const calls: Record<string, number> = {};
  iam.middlewareStack.add(
    (next, context) => async (args) => {
      calls[context.commandName ?? '?'] = (calls[context.commandName ?? '?'] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  const report = await runAudit(
    {
      identity: createStsIdentity(createStsClient('us-east-1')),
      batch: createBatchInventory(createBatchClient),
      events: createEventTargetFinder(createEventBridgeClient),
      iam: createPerRoleIamReader(iam),
    },
    { regions, baseline },
  );
  expect(reportSchemaErrors(report)).toEqual([]);
  return { report, calls };
};

/** Findings above info: the seeded service role is the legacy customer-managed one, whose info-level advice is asserted once. */
const rules = (report: Awaited<ReturnType<typeof audit>>['report']) =>
  report.findings.filter((f) => f.severity !== 'info').map((f) => [f.rule, f.severity, f.resource.name, f.subject]);

const ec2 = (name: string, region = 'us-east-1') =>
  createComputeEnvironment(clients, {
    name,
    region,
    serviceRoleArn: seeded.serviceRoleArn,
    type: 'EC2',
    instanceProfile: 'ecsInstanceRole',
  });

describe('audit against moto', () => {
  it('finds no drift in a by-the-docs account of every compute environment type, and the CLI exits 0', async () => {
    // Prepare
    await ec2('ondemand');
    await createComputeEnvironment(clients, {
      name: 'spot',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'SPOT',
      instanceProfile: seeded.instanceProfileArn,
      spotFleetRoleArn: seeded.spotRoleArn,
    });
    await createComputeEnvironment(clients, {
      name: 'fargate',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'FARGATE',
    });
    await createComputeEnvironment(clients, {
      name: 'fargate-spot',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'FARGATE_SPOT',
    });
    await createComputeEnvironment(clients, {
      name: 'unmanaged',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'UNMANAGED',
    });
    const out: string[] = [];
    const err: string[] = [];
    // Act
    const code = await runCli(
      ['audit', '--format', 'json'],
      {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: (t: string) => err.push(t) },
        env: process.env,
      },
      AWS_DEPS,
    );
    // Assess
    const report = JSON.parse(out.join(''));
    expect(err.join('')).toMatch(/us-east-1: 5 compute environments/);
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report).toMatchObject({ account: ACCOUNT, complete: true, summary: { computeEnvironments: 5, roles: 5 } });
    // The only finding is advice: the documented legacy customer service role instead of the service-linked role.
    expect(report.findings.map((f: { rule: string; severity: string }) => [f.rule, f.severity])).toEqual([
      ['service-role-not-slr', 'info'],
    ]);
    expect(code).toBe(0);
  });

  it('reports AdministratorAccess on a role shared by many compute environments once, reading each role once', async () => {
    // Prepare
    for (const name of ['ce-1', 'ce-2', 'ce-3', 'ce-4']) await ec2(name);
    await createComputeEnvironment(clients, {
      name: 'ce-by-arn',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'EC2',
      instanceProfile: seeded.instanceProfileArn,
    });
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    // Act
    const { report, calls } = await audit();
    // Assess
    expect(rules(report)).toEqual([['dangerous-permission', 'critical', 'ecsInstanceRole', 'full-admin']]);
    expect(report.findings[0]?.computeEnvironments).toHaveLength(5);
    // Three distinct AWS managed policies: each read once (default version, then its document).
    expect(calls).toEqual({
      GetInstanceProfileCommand: 1,
      GetRoleCommand: 2,
      GetPolicyCommand: 3,
      GetPolicyVersionCommand: 3,
      ListAttachedRolePoliciesCommand: 2,
      ListRolePoliciesCommand: 2,
    });
  });

  it('reports one finding for a role shared across two regions', async () => {
    await ec2('east');
    await ec2('west', 'eu-west-1');
    await clients.iam.send(
      new DetachRolePolicyCommand({
        RoleName: 'ecsInstanceRole',
        PolicyArn: awsPolicy('service-role/AmazonEC2ContainerServiceforEC2Role'),
      }),
    );
    const { report } = await audit(['us-east-1', 'eu-west-1']);
    expect(rules(report)).toEqual([
      [
        'managed-policy-missing',
        'high',
        'ecsInstanceRole',
        awsPolicy('service-role/AmazonEC2ContainerServiceforEC2Role'),
      ],
    ]);
    expect(report.findings[0]?.computeEnvironments).toEqual([
      `arn:aws:batch:eu-west-1:${ACCOUNT}:compute-environment/west`,
      `arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/east`,
    ]);
    expect(report.summary.computeEnvironments).toBe(2);
  });

  it('reports a deleted service role and a deleted instance profile', async () => {
    // Prepare
    const doomed = await createRole(clients, { name: 'doomed-service', trust: trustFor('batch.amazonaws.com') });
    await createProfile(clients, 'doomed-profile', 'ecsInstanceRole');
    await createComputeEnvironment(clients, {
      name: 'orphan',
      serviceRoleArn: doomed,
      type: 'EC2',
      instanceProfile: 'doomed-profile',
    });
    await clients.iam.send(new DeleteRoleCommand({ RoleName: 'doomed-service' }));
    await clients.iam.send(
      new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'doomed-profile', RoleName: 'ecsInstanceRole' }),
    );
    await clients.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'doomed-profile' }));
    // Act
    const { report } = await audit();
    // Assess
    expect(rules(report)).toEqual([
      ['instance-profile-missing', 'high', 'doomed-profile', ''],
      ['role-missing', 'high', 'doomed-service', ''],
    ]);
    expect(report.complete).toBe(true);
  });

  it('reports an empty instance profile, and one holding another role than the baseline pins', async () => {
    await createRole(clients, {
      name: 'other-instance-role',
      trust: trustFor('ec2.amazonaws.com'),
      managed: [awsPolicy('service-role/AmazonEC2ContainerServiceforEC2Role')],
    });
    await createProfile(clients, 'empty-profile');
    await createProfile(clients, 'swapped-profile', 'other-instance-role');
    await createComputeEnvironment(clients, {
      name: 'ce-a',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'EC2',
      instanceProfile: 'empty-profile',
    });
    await createComputeEnvironment(clients, {
      name: 'ce-b',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'EC2',
      instanceProfile: 'swapped-profile',
    });
    const pinned = overlayBaseline(AWS_DEFAULT_BASELINE, {
      instanceProfileRoles: { 'swapped-profile': 'ecsInstanceRole' },
    });
    const { report } = await audit(['us-east-1'], pinned);
    expect(rules(report)).toEqual([
      ['instance-profile-role-mismatch', 'high', 'empty-profile', ''],
      ['instance-profile-role-mismatch', 'high', 'swapped-profile', 'other-instance-role'],
    ]);
  });

  it('reports trust drift: the service removed, everyone added, another account added, no confused-deputy condition', async () => {
    // Prepare
    await ec2('ce-a');
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'ecsInstanceRole',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'AWSBatchServiceRole',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' },
            { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    // Act
    const { report } = await audit();
    // Assess
    expect(rules(report)).toEqual([
      ['trust-principal-unexpected', 'critical', 'AWSBatchServiceRole', 'AWS:210987654321'],
      ['trust-principal-unexpected', 'critical', 'ecsInstanceRole', 'AWS:*'],
      ['trust-service-missing', 'high', 'ecsInstanceRole', 'ec2.amazonaws.com'],
      ['trust-principal-unexpected', 'medium', 'ecsInstanceRole', 'Service:lambda.amazonaws.com'],
      ['trust-confused-deputy', 'low', 'AWSBatchServiceRole', 'batch.amazonaws.com'],
    ]);
  });

  it('reports extra managed and inline policies by what they grant, and admin through a customer-managed policy', async () => {
    // Prepare
    await ec2('ce-a');
    const breakGlass = await createPolicy(clients, 'break-glass', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    });
    const role = 'ecsInstanceRole';
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: breakGlass }));
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: role, PolicyArn: awsPolicy('AmazonS3ReadOnlyAccess') }),
    );
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: role, PolicyArn: awsPolicy('AmazonEC2FullAccess') }),
    );
    await clients.iam.send(
      new PutRolePolicyCommand({
        RoleName: role,
        PolicyName: 'write-results',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::results/*' },
        }),
      }),
    );
    await clients.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'AmazonEC2SpotFleetTaggingRole',
        PolicyName: 'pass-anything',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: { Effect: 'Allow', Action: 'iam:P*Role', Resource: '*' },
        }),
      }),
    );
    await createComputeEnvironment(clients, {
      name: 'spot',
      serviceRoleArn: seeded.serviceRoleArn,
      type: 'SPOT',
      instanceProfile: 'ecsInstanceRole',
      spotFleetRoleArn: seeded.spotRoleArn,
    });
    // Act
    const { report, calls } = await audit();
    // Assess
    expect(rules(report)).toEqual([
      ['dangerous-permission', 'critical', 'ecsInstanceRole', 'full-admin'],
      // PassRole on every role adds nothing the Spot Fleet role's documented policy does not already
      // allow with RunInstances (PassRole to EC2): no new escalation, an unexpected inline policy.
      ['inline-policy-unexpected', 'medium', 'AmazonEC2SpotFleetTaggingRole', 'pass-anything'],
      ['inline-policy-unexpected', 'medium', 'ecsInstanceRole', 'write-results'],
      ['managed-policy-unexpected', 'medium', 'ecsInstanceRole', awsPolicy('AmazonEC2FullAccess')],
      // Reads every object: not "read-only" in the harmless sense (data access, reported as such without admin).
      ['managed-policy-unexpected', 'medium', 'ecsInstanceRole', awsPolicy('AmazonS3ReadOnlyAccess')],
    ]);
    expect(report.findings[0]?.title).toMatch(/full administrator access/);
    expect(report.findings[0]?.actual).toMatch(/customer-managed policy break-glass \(statement #0\)/);
    // Every distinct managed policy once, with its document: effective permissions need AWS managed ones too.
    expect(calls.GetPolicyVersionCommand).toBe(6);
    expect(calls.GetPolicyCommand).toBe(6);
  });

  it('treats equivalent trust and policy layouts as no drift', async () => {
    // Prepare
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'ecsInstanceRole',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: {
            Sid: 'TrustEc2',
            Effect: 'Allow',
            Principal: { Service: ['ec2.amazonaws.com', 'ec2.amazonaws.com'] },
            Action: ['sts:AssumeRole'],
          },
        }),
      }),
    );
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'AWSBatchServiceRole',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'batch.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'AWS:SourceAccount': [ACCOUNT] } },
            },
            {
              Effect: 'Allow',
              Principal: { Service: 'batch.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
            },
          ],
        }),
      }),
    );
    await ec2('ce-a');
    // Act
    const { report } = await audit();
    // Assess
    expect(rules(report)).toEqual([]);
  });

  it('resolves roles and instance profiles that live under paths, by name and by ARN', async () => {
    // Prepare
    const service = await createRole(clients, {
      name: 'team-batch-service',
      path: '/teams/genomics/',
      trust: scopedBatchTrust(),
      managed: [awsPolicy('service-role/AWSBatchServiceRole')],
    });
    await createRole(clients, {
      name: 'team-instance',
      path: '/teams/genomics/',
      trust: trustFor('ec2.amazonaws.com'),
      managed: [awsPolicy('service-role/AmazonEC2ContainerServiceforEC2Role'), awsPolicy('AdministratorAccess')],
    });
    const profileArn = await createProfile(clients, 'team-profile', 'team-instance', '/teams/genomics/');
    expect(profileArn).toBe(`arn:aws:iam::${ACCOUNT}:instance-profile/teams/genomics/team-profile`);
    await createComputeEnvironment(clients, {
      name: 'by-arn',
      serviceRoleArn: service,
      type: 'EC2',
      instanceProfile: profileArn,
    });
    await createComputeEnvironment(clients, {
      name: 'by-name',
      serviceRoleArn: service,
      type: 'EC2',
      instanceProfile: 'team-profile',
    });
    // Act
    const { report, calls } = await audit();
    // Assess
    expect(rules(report)).toEqual([['dangerous-permission', 'critical', 'team-instance', 'full-admin']]);
    expect(report.findings[0]?.resource.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/teams/genomics/team-instance`);
    expect(report.findings[0]?.computeEnvironments).toHaveLength(2);
    expect(calls.GetInstanceProfileCommand).toBe(1);
  });

  it('audits Fargate and unmanaged compute environments through their service role alone', async () => {
    const bare = await createRole(clients, { name: 'bare-service', trust: trustFor('batch.amazonaws.com') });
    await createComputeEnvironment(clients, { name: 'fargate', serviceRoleArn: bare, type: 'FARGATE' });
    await createComputeEnvironment(clients, { name: 'unmanaged', serviceRoleArn: bare, type: 'UNMANAGED' });
    const { report, calls } = await audit();
    expect(rules(report)).toEqual([
      ['managed-policy-missing', 'high', 'bare-service', awsPolicy('service-role/AWSBatchServiceRole')],
      ['trust-confused-deputy', 'low', 'bare-service', 'batch.amazonaws.com'],
    ]);
    expect(report.findings[0]?.computeEnvironments).toHaveLength(2);
    expect(calls.GetInstanceProfileCommand).toBeUndefined();
  });
});

describe('CLI start-up errors', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  const run = async (env: NodeJS.ProcessEnv) => {
    const err: string[] = [];
    const code = await runCli(
      ['audit', '--regions', 'us-east-1'],
      { stdout: { write: () => true }, stderr: { write: (t: string) => err.push(t) }, env },
      AWS_DEPS,
    );
    return { code, message: err.join('') };
  };

  it('exits 2 naming the endpoint when it cannot be reached', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    const { code, message } = await run(process.env);
    expect(code).toBe(2);
    expect(message).toMatch(/Cannot reach the AWS endpoint http:\/\/127\.0\.0\.1:9: ECONNREFUSED/);
  });

  it('exits 2 when there are no credentials', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_PROFILE;
    const { code, message } = await run(process.env);
    expect(code).toBe(2);
    expect(message).toMatch(/No AWS credentials found/);
  });
});
