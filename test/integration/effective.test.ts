import { RegisterJobDefinitionCommand } from '@aws-sdk/client-batch';
import { PutRolePermissionsBoundaryCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/domain/finding.js';
import { cli } from '../support/cli.js';
import { reportSchemaErrors } from '../support/schema.js';
import {
  awsPolicy,
  createComputeEnvironment,
  createPolicy,
  createRole,
  type SeedClients,
  seedByTheDocs,
  seedClients,
  trustFor,
} from '../support/seed.js';

const audit = async () => {
  const { code, out } = await cli('audit', '--format', 'json', '--quiet', '--fail-on', 'info');
  const report = JSON.parse(out);
  expect(reportSchemaErrors(report)).toEqual([]);
  return { code, report, findings: report.findings as Finding[] };
};

/** Each published method family, as a team would write it by hand, and the methods it must be reported as. */
const FAMILIES: Record<string, { actions: string[]; methods: string[] }> = {
  'policy-writing': {
    actions: ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:AttachRolePolicy', 'iam:PutRolePolicy'],
    methods: [
      'iam-create-policy-version',
      'iam-set-default-policy-version',
      'iam-attach-role-policy',
      'iam-put-role-policy',
    ],
  },
  'users-and-groups': {
    actions: [
      'iam:CreateAccessKey',
      'iam:CreateLoginProfile',
      'iam:UpdateLoginProfile',
      'iam:AttachUserPolicy',
      'iam:AttachGroupPolicy',
      'iam:PutUserPolicy',
      'iam:PutGroupPolicy',
      'iam:AddUserToGroup',
    ],
    methods: [
      'iam-create-access-key',
      'iam-create-login-profile',
      'iam-update-login-profile',
      'iam-attach-user-policy',
      'iam-attach-group-policy',
      'iam-put-user-policy',
      'iam-put-group-policy',
      'iam-add-user-to-group',
    ],
  },
  'passrole-and-launch': {
    actions: [
      'iam:PassRole',
      'ec2:RunInstances',
      'lambda:CreateFunction',
      'lambda:InvokeFunction',
      'glue:CreateDevEndpoint',
      'cloudformation:CreateStack',
      'codebuild:CreateProject',
      'codebuild:StartBuild',
      'ecs:RegisterTaskDefinition',
      'ecs:RunTask',
      'batch:RegisterJobDefinition',
      'batch:SubmitJob',
    ],
    methods: [
      'passrole-ec2',
      'passrole-lambda-invoke',
      'passrole-glue-dev-endpoint',
      'passrole-cloudformation',
      'passrole-codebuild',
      'passrole-ecs-task',
      'passrole-batch-job',
    ],
  },
  'edit-running-compute': {
    actions: [
      'lambda:UpdateFunctionCode',
      'glue:UpdateDevEndpoint',
      'cloudformation:UpdateStack',
      'ssm:SendCommand',
      'ssm:StartSession',
      'ec2-instance-connect:SendSSHPublicKey',
      'sagemaker:CreatePresignedNotebookInstanceUrl',
    ],
    methods: [
      'lambda-update-function-code',
      'glue-update-dev-endpoint',
      'cloudformation-update-stack',
      'ssm-send-command',
      'ssm-start-session',
      'ec2-instance-connect',
      'sagemaker-presigned-notebook-url',
    ],
  },
  'assume-roles': {
    actions: ['sts:AssumeRole', 'iam:UpdateAssumeRolePolicy'],
    methods: ['sts-assume-role-same-account', 'sts-assume-role-any-account', 'iam-update-assume-role-policy'],
  },
};

const statement = (actions: string[], extra: Record<string, unknown> = {}) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: '*', ...extra }],
});

let clients: SeedClients;
let seeded: Awaited<ReturnType<typeof seedByTheDocs>>;

beforeEach(async () => {
  clients = seedClients(process.env.AWS_ENDPOINT_URL ?? '');
  seeded = await seedByTheDocs(clients);
  await createComputeEnvironment(clients, {
    name: 'genomics',
    serviceRoleArn: seeded.serviceRoleArn,
    type: 'EC2',
    instanceProfile: 'ecsInstanceRole',
  });
});

const jobRole = async (
  name: string,
  spec: { inline?: Record<string, Record<string, unknown>>; managed?: string[] },
) => {
  const arn = await createRole(clients, { name, trust: trustFor('ecs-tasks.amazonaws.com'), ...spec });
  await clients.batch('us-east-1').send(
    new RegisterJobDefinitionCommand({
      jobDefinitionName: `${name}-job`,
      type: 'container',
      containerProperties: { image: 'busybox', vcpus: 1, memory: 512, jobRoleArn: arn },
    }),
  );
  return arn;
};

const atOrAboveMedium = (findings: Finding[]) =>
  findings.filter((f) => ['critical', 'high', 'medium'].includes(f.severity)).map((f) => [f.rule, f.resource.name]);

describe('effective permissions against moto', () => {
  it('reports every method family on an instance role and on a job role as critical, naming the statements', async () => {
    // Prepare: one inline policy per family on each role.
    for (const [family, { actions }] of Object.entries(FAMILIES)) {
      await clients.iam.send(
        new PutRolePolicyCommand({
          RoleName: 'ecsInstanceRole',
          PolicyName: family,
          PolicyDocument: JSON.stringify(statement(actions)),
        }),
      );
    }
    await jobRole('etl-job-role', {
      inline: Object.fromEntries(Object.entries(FAMILIES).map(([family, { actions }]) => [family, statement(actions)])),
    });
    // Act
    const { code, findings } = await audit();
    // Assess
    const escalation = findings.filter((f) => f.rule === 'privilege-escalation');
    for (const role of ['ecsInstanceRole', 'etl-job-role']) {
      for (const [family, { methods }] of Object.entries(FAMILIES)) {
        for (const method of methods) {
          const found = escalation.find((f) => f.resource.name === role && f.subject === method);
          expect(found?.severity, `${role} ${method}`).toBe('critical');
          expect(found?.actual, `${role} ${method}`).toMatch(new RegExp(`inline policy ${family} \\(statement #0\\)`));
        }
      }
    }
    expect(escalation.find((f) => f.resource.name === 'ecsInstanceRole')?.roleKind).toBe('instance-role');
    expect(escalation.find((f) => f.resource.name === 'etl-job-role')?.jobDefinitions).toEqual([
      'arn:aws:batch:us-east-1:123456789012:job-definition/etl-job-role-job:1',
    ]);
    expect(code).toBe(1);
  });

  it('reports data access on every object at high on the instance role and medium on a job role', async () => {
    // Prepare
    await clients.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'ecsInstanceRole',
        PolicyName: 'read-all',
        PolicyDocument: JSON.stringify(statement(['s3:GetObject', 'secretsmanager:GetSecretValue'])),
      }),
    );
    await jobRole('reader', { inline: { 'read-all': statement(['s3:GetObject', 'secretsmanager:GetSecretValue']) } });
    // Act
    const { findings } = await audit();
    // Assess
    const risk = findings
      .filter((f) => ['data-access', 'credentials-exposure'].includes(f.rule))
      .map((f) => [f.rule, f.resource.name, f.severity]);
    expect(risk).toEqual([
      ['credentials-exposure', 'ecsInstanceRole', 'high'],
      ['data-access', 'ecsInstanceRole', 'high'],
      ['credentials-exposure', 'reader', 'medium'],
      ['data-access', 'reader', 'medium'],
    ]);
  });

  it('does not report a PassRole guarded by a Deny on every service but ECS tasks, nor grants a boundary takes away', async () => {
    // Prepare
    await jobRole('guarded', {
      inline: {
        launch: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances'], Resource: '*' },
            {
              Effect: 'Deny',
              Action: 'iam:PassRole',
              Resource: '*',
              Condition: { StringNotEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            },
          ],
        },
      },
    });
    await jobRole('bounded', { managed: [awsPolicy('IAMFullAccess')] });
    const boundary = await createPolicy(clients, 'read-results-only', statement(['s3:GetObject', 's3:ListBucket']));
    await clients.iam.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: 'bounded', PermissionsBoundary: boundary }),
    );
    // Act
    const { findings, report } = await audit();
    // Assess
    expect(atOrAboveMedium(findings).filter(([, name]) => name === 'guarded' || name === 'bounded')).toEqual([]);
    expect(report.complete).toBe(true);
  });

  it('reports a grant under a condition it cannot decide one step lower, with the condition', async () => {
    // Prepare
    await clients.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'ecsInstanceRole',
        PolicyName: 'tagged-commands',
        PolicyDocument: JSON.stringify(
          statement(['ssm:SendCommand'], { Condition: { StringEquals: { 'aws:ResourceTag/team': 'genomics' } } }),
        ),
      }),
    );
    // Act
    const { findings } = await audit();
    // Assess
    const found = findings.find((f) => f.subject === 'ssm-send-command');
    expect([found?.severity, found?.title]).toEqual([
      'high',
      'instance-role ecsInstanceRole can escalate privileges: run commands on instances and use their roles (ssm:SendCommand) (conditional)',
    ]);
    expect(found?.actual).toMatch(/only if: StringEquals aws:resourcetag\/team \["genomics"\]/);
  });

  it('keeps the by-the-docs account, with a documented execution role and a scoped job role, clean at medium and above', async () => {
    // Prepare
    const exec = await createRole(clients, {
      name: 'ecsTaskExecutionRole',
      trust: trustFor('ecs-tasks.amazonaws.com'),
      managed: [awsPolicy('service-role/AmazonECSTaskExecutionRolePolicy')],
    });
    const job = await createRole(clients, {
      name: 'results-writer',
      trust: trustFor('ecs-tasks.amazonaws.com'),
      inline: {
        results: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::results/*' },
          ],
        },
      },
    });
    await clients.batch('us-east-1').send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: 'etl',
        type: 'container',
        containerProperties: { image: 'busybox', vcpus: 1, memory: 512, jobRoleArn: job, executionRoleArn: exec },
      }),
    );
    // Act
    const { code, findings } = await audit();
    // Assess
    expect(atOrAboveMedium(findings)).toEqual([]);
    expect(code).toBe(1);
    expect(findings.map((f) => f.rule)).toEqual(['service-role-not-slr']);
  });
});
