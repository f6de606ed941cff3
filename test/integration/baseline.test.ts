import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand,
  CreatePolicyVersionCommand,
  DeleteRolePolicyCommand,
  PutRolePermissionsBoundaryCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { reportSchemaErrors } from '../support/schema.js';
import {
  ACCOUNT,
  awsPolicy,
  createComputeEnvironment,
  createPolicy,
  createRole,
  type SeedClients,
  seedByTheDocs,
  seedClients,
  trustFor,
} from '../support/seed.js';

const auditJson = async (baseline: string) => {
  const result = await cli('audit', '--baseline', baseline, '--format', 'json', '--fail-on', 'info');
  const report = JSON.parse(result.out);
  expect(reportSchemaErrors(report)).toEqual([]);
  return { code: result.code, report };
};

let clients: SeedClients;
let dir: string;
let customerPolicy: string;

/** An account that differs from the AWS defaults the way real ones do. */
beforeEach(async () => {
  clients = seedClients(process.env.AWS_ENDPOINT_URL ?? '');
  dir = mkdtempSync(join(tmpdir(), 'bid-baseline-'));
  const { serviceRoleArn, spotRoleArn } = await seedByTheDocs(clients);
  customerPolicy = await createPolicy(clients, 'ecr-pull-team-registry', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: '*' }],
  });
  await clients.iam.send(new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: customerPolicy }));
  await clients.iam.send(
    new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AmazonSSMManagedInstanceCore') }),
  );
  await createRole(clients, {
    name: 'results-writer-instance',
    trust: trustFor('ec2.amazonaws.com'),
    managed: [awsPolicy('service-role/AmazonEC2ContainerServiceforEC2Role')],
    inline: {
      'write-results': {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::results/*' }],
      },
    },
  });
  const { CreateInstanceProfileCommand, AddRoleToInstanceProfileCommand } = await import('@aws-sdk/client-iam');
  await clients.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'results-writer' }));
  await clients.iam.send(
    new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'results-writer', RoleName: 'results-writer-instance' }),
  );
  await createComputeEnvironment(clients, {
    name: 'genomics',
    serviceRoleArn,
    type: 'EC2',
    instanceProfile: 'ecsInstanceRole',
  });
  await createComputeEnvironment(clients, {
    name: 'genomics-spot',
    serviceRoleArn,
    type: 'SPOT',
    instanceProfile: 'ecsInstanceRole',
    spotFleetRoleArn: spotRoleArn,
  });
  await createComputeEnvironment(clients, {
    name: 'results',
    serviceRoleArn,
    type: 'EC2',
    instanceProfile: 'results-writer',
  });
});

const capture = async () => {
  const file = join(dir, 'baseline.yaml');
  const result = await cli('baseline', 'capture', '--output', file);
  expect(result.code).toBe(0);
  return { file, result };
};

describe('baseline capture, review, audit against moto', () => {
  it('adopts an account that differs from the defaults in three commands, with no noise', async () => {
    // The defaults flag the team's additions.
    const before = await cli('audit', '--format', 'json', '--fail-on', 'info');
    expect(
      JSON.parse(before.out)
        .findings.map((f: { rule: string }) => f.rule)
        .sort(),
    ).toEqual([
      'inline-policy-unexpected',
      'managed-policy-unexpected',
      // AmazonSSMManagedInstanceCore: a routine add-on, reported low with its risk (every SSM parameter).
      'managed-policy-unexpected',
      'service-role-not-slr',
    ]);
    // 1. capture
    const { file, result } = await capture();
    expect(result.err).toMatch(/Review before committing: the capture accepts 4 findings/);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# batch-iam-drift baseline captured .* from account 123456789012/);
    expect(text).toMatch(/account: "123456789012"/);
    // 2. review: the file is valid
    const validated = await cli('baseline', 'validate', file);
    expect(validated).toMatchObject({
      code: 0,
      out: `${file}: valid baseline (4 roles, 0 waivers, account ${ACCOUNT})\n`,
    });
    // 3. audit: no drift
    const { code, report } = await auditJson(file);
    expect(report.findings).toEqual([]);
    expect(report.baseline).toMatchObject({ source: file, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(code).toBe(0);
  });

  it('reports every later change against the capture: document broadened, access narrowed, policy attached, trust widened, boundary added', async () => {
    // Prepare
    const { file } = await capture();
    await clients.iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: customerPolicy,
        SetAsDefault: true,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['ecr:*'], Resource: '*' }],
        }),
      }),
    );
    await clients.iam.send(
      new DeleteRolePolicyCommand({ RoleName: 'results-writer-instance', PolicyName: 'write-results' }),
    );
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'results-writer-instance', PolicyArn: awsPolicy('AmazonS3FullAccess') }),
    );
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'AmazonEC2SpotFleetTaggingRole',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'spotfleet.amazonaws.com' }, Action: 'sts:AssumeRole' },
            { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    const boundary = await createPolicy(clients, 'batch-boundary', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'ecs:*', Resource: '*' }],
    });
    await clients.iam.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: 'AWSBatchServiceRole', PermissionsBoundary: boundary }),
    );
    // Act
    const { code, report } = await auditJson(file);
    // Assess
    const summary = report.findings.map(
      (f: { rule: string; severity: string; resource: { name: string }; actual: string }) => [
        f.rule,
        f.severity,
        f.resource.name,
      ],
    );
    expect(summary).toEqual([
      ['trust-principal-unexpected', 'critical', 'AmazonEC2SpotFleetTaggingRole'],
      // ecr:* on the instance role, once the pinned document changed, is no longer accepted.
      ['dangerous-permission', 'high', 'ecsInstanceRole'],
      // AmazonS3FullAccess: s3:* on every resource.
      ['dangerous-permission', 'high', 'results-writer-instance'],
      ['policy-document-changed', 'high', 'ecsInstanceRole'],
      ['inline-policy-missing', 'medium', 'results-writer-instance'],
      ['permissions-boundary-changed', 'medium', 'AWSBatchServiceRole'],
    ]);
    const changed = report.findings.find((f: { rule: string }) => f.rule === 'policy-document-changed');
    expect(changed.actual).toBe(
      'version v2: access broadened (security); gained: 58 ecr actions (BatchCheckLayerAvailability, BatchDeleteImage, BatchGetRepositoryScanningConfiguration, …)',
    );
    expect(code).toBe(1);
  });

  it('waives a finding until its expiry, then reports the expired waiver', async () => {
    // Prepare: a baseline with one live waiver and one expired waiver.
    const { file } = await capture();
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AmazonS3FullAccess') }),
    );
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'results-writer-instance', PolicyArn: awsPolicy('AmazonS3FullAccess') }),
    );
    const soon = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const text = readFileSync(file, 'utf8').replace(
      'waivers: []',
      `waivers:
  - rule: dangerous-permission
    resource: arn:aws:iam::${ACCOUNT}:role/ecsInstanceRole
    reason: S3 access for the genomics pipeline, being moved to a job role (BATCH-42)
    owner: genomics-platform
    expires: ${soon}
  - rule: dangerous-permission
    resource: "*results-writer*"
    reason: temporary
    owner: data-team
    expires: 2020-01-01`,
    );
    writeFileSync(file, text);
    // Act
    const { code, report } = await auditJson(file);
    // Assess
    expect(report.findings.map((f: { rule: string; resource: { name: string } }) => [f.rule, f.resource.name])).toEqual(
      [
        ['dangerous-permission', 'results-writer-instance'],
        ['waiver-expired', 'dangerous-permission *results-writer*'],
      ],
    );
    expect(report.waived).toHaveLength(1);
    expect(report.waived[0]).toMatchObject({
      rule: 'dangerous-permission',
      resource: { name: 'ecsInstanceRole' },
      waiver: { owner: 'genomics-platform', expires: soon },
    });
    expect(report.summary.waived).toBe(1);
    expect(report.waiversExpiringSoon.map((w: { owner: string }) => w.owner)).toEqual(['genomics-platform']);
    expect(code).toBe(1);
  });

  it('refuses to audit with an invalid baseline, or one for another account', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nroles:\n  - match: { name: a }\n    managedPolicies: AdministratorAccess\n');
    const invalid = await cli('audit', '--baseline', bad);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/bad\.yaml:4:22 roles\[0\]\.managedPolicies: must be array, not string/);
    expect(invalid.out).toBe('');

    const other = join(dir, 'other.yaml');
    writeFileSync(other, "version: 1\naccount: '210987654321'\n");
    const wrongAccount = await cli('audit', '--baseline', other);
    expect(wrongAccount.code).toBe(2);
    expect(wrongAccount.err).toMatch(/is for account 210987654321, but the credentials are for account 123456789012/);
  });
});
