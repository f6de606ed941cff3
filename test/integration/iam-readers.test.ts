import { IAMClient, PutRolePermissionsBoundaryCommand } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAdaptiveIamReader, createBulkIamReader } from '../../src/aws/iam-bulk-reader.js';
import { createPerRoleIamReader } from '../../src/aws/iam-reader.js';
import type { IamReadRequest } from '../../src/ports.js';
import {
  awsPolicy,
  createPolicy,
  createProfile,
  createRole,
  type SeedClients,
  seedByTheDocs,
  seedClients,
  trustFor,
} from '../support/seed.js';

let clients: SeedClients;
const iam = () =>
  new IAMClient({
    region: 'us-east-1',
    endpoint: process.env.AWS_ENDPOINT_URL ?? '',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });

/** An account with paths, inline and customer-managed policies, a boundary, an empty profile and roles nobody asks for. */
beforeEach(async () => {
  clients = seedClients(process.env.AWS_ENDPOINT_URL ?? '');
  await seedByTheDocs(clients);
  const boundary = await createPolicy(clients, 'batch-boundary', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:*', 'logs:*'], Resource: '*' }],
  });
  const team = await createPolicy(clients, 'team-data', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::team-data/*' }],
  });
  await createRole(clients, {
    name: 'etl-job',
    path: '/jobs/',
    trust: trustFor('ecs-tasks.amazonaws.com'),
    managed: [team, awsPolicy('AmazonS3ReadOnlyAccess')],
    inline: {
      b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] },
      a: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }] },
    },
  });
  await clients.iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: 'etl-job', PermissionsBoundary: boundary }));
  await createProfile(clients, 'empty-profile');
  for (let i = 0; i < 5; i++)
    await createRole(clients, { name: `unrelated-${i}`, trust: trustFor('lambda.amazonaws.com') });
});

const REQUEST: IamReadRequest = {
  roleNames: ['AWSBatchServiceRole', 'etl-job', 'AmazonEC2SpotFleetTaggingRole', 'deleted-role'],
  instanceProfileNames: ['ecsInstanceRole', 'empty-profile', 'no-such-profile'],
};

describe('the bulk IAM reader against moto', () => {
  it('reads the same snapshot as the per-role reader: roles, profiles, policies, missing and empty ones', async () => {
    const perRole = await createPerRoleIamReader(iam()).read(REQUEST);
    const bulk = await createBulkIamReader(iam()).read(REQUEST);
    expect([...bulk.roles.keys()].sort()).toEqual([...perRole.roles.keys()].sort());
    for (const [key, read] of perRole.roles) expect(bulk.roles.get(key)).toEqual(read);
    expect(bulk.instanceProfiles).toEqual(perRole.instanceProfiles);
    expect(new Map([...bulk.managedPolicies].sort())).toEqual(new Map([...perRole.managedPolicies].sort()));
    // What the comparison rests on: every kind of entity is there.
    expect(bulk.roles.get('deleted-role')).toEqual({ status: 'missing' });
    expect(bulk.roles.get('ecsinstancerole')?.status).toBe('found');
    expect(bulk.instanceProfiles.get('empty-profile')).toMatchObject({ status: 'found', value: { roleNames: [] } });
    expect(bulk.instanceProfiles.get('no-such-profile')).toEqual({ status: 'missing' });
    const etl = bulk.roles.get('etl-job');
    expect(etl?.status === 'found' && etl.value.inlinePolicies.map((p) => p.name)).toEqual(['a', 'b']);
    expect(etl?.status === 'found' && etl.value.permissionsBoundaryArn).toMatch(/policy\/batch-boundary$/);
    expect([...bulk.managedPolicies.values()].every((r) => r.status === 'found' && r.value.document)).toBe(true);
  });

  it('lets the adaptive reader choose bulk reads in an account of this size, and say so', async () => {
    const notes: string[] = [];
    const snapshot = await createAdaptiveIamReader(iam(), { onNote: (n) => notes.push(n) }).read(REQUEST);
    expect(notes).toEqual([expect.stringMatching(/^IAM: bulk reads \(about \d+ calls against \d+;/)]);
    expect(snapshot.roles.get('etl-job')?.status).toBe('found');
  });
});
