import {
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAdaptiveIamReader, createBulkIamReader, estimateCalls } from '../../../src/aws/iam-bulk-reader.js';

const iamMock = mockClient(IAMClient);
const ACCOUNT = '123456789012';
const trust = (service: string) =>
  encodeURIComponent(
    JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] }),
  );
const role = (name: string, extra: Record<string, unknown> = {}) => ({
  RoleName: name,
  RoleId: `AROA${name.toUpperCase()}`,
  Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  Path: '/',
  AssumeRolePolicyDocument: trust('ec2.amazonaws.com'),
  ...extra,
});
const LOCAL = `arn:aws:iam::${ACCOUNT}:policy/team`;
const AWS_MANAGED = 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role';

describe('createBulkIamReader', () => {
  beforeEach(() => {
    iamMock.reset();
    iamMock
      .on(GetPolicyCommand)
      .resolves({ Policy: { PolicyName: 'AmazonEC2ContainerServiceforEC2Role', DefaultVersionId: 'v9' } });
    iamMock
      .on(GetPolicyVersionCommand)
      .resolves({ PolicyVersion: { Document: encodeURIComponent('{"Statement":[]}') } });
  });

  it('pages through the account, keeps the roles asked for and those in the profiles asked for, and reads AWS managed policies once', async () => {
    iamMock
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({
        RoleDetailList: [
          role('ecsInstanceRole', {
            InstanceProfileList: [{ InstanceProfileName: 'ecsInstanceRole', Arn: 'arn:p', Path: '/', Roles: [] }],
            AttachedManagedPolicies: [{ PolicyArn: AWS_MANAGED, PolicyName: 'AmazonEC2ContainerServiceforEC2Role' }],
            RolePolicyList: [{ PolicyName: 'extra', PolicyDocument: encodeURIComponent('{"Statement":[]}') }],
          }),
          role('unrelated'),
        ],
        IsTruncated: true,
        Marker: 'm1',
      })
      .resolvesOnce({
        RoleDetailList: [
          role('service', {
            AttachedManagedPolicies: [
              { PolicyArn: LOCAL, PolicyName: 'team' },
              { PolicyArn: AWS_MANAGED, PolicyName: 'AmazonEC2ContainerServiceforEC2Role' },
            ],
          }),
        ],
        Policies: [
          {
            Arn: LOCAL,
            PolicyName: 'team',
            DefaultVersionId: 'v2',
            PolicyVersionList: [
              { VersionId: 'v1', IsDefaultVersion: false, Document: encodeURIComponent('{"Statement":[]}') },
              {
                VersionId: 'v2',
                IsDefaultVersion: true,
                Document: encodeURIComponent(
                  '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
                ),
              },
            ],
          },
        ],
        IsTruncated: false,
      });
    const snapshot = await createBulkIamReader(new IAMClient({ region: 'us-east-1' })).read({
      roleNames: ['Service'],
      instanceProfileNames: ['ecsInstanceRole'],
    });
    expect([...snapshot.roles.keys()]).toEqual(['service', 'ecsinstancerole']);
    expect(snapshot.instanceProfiles.get('ecsinstancerole')).toEqual({
      status: 'found',
      value: { name: 'ecsInstanceRole', arn: 'arn:p', path: '/', roleNames: ['ecsInstanceRole'] },
    });
    const team = snapshot.managedPolicies.get(LOCAL);
    expect(team?.status === 'found' && [team.value.defaultVersionId, team.value.document?.statements.length]).toEqual([
      'v2',
      1,
    ]);
    expect(iamMock).toHaveReceivedCommandWith(GetAccountAuthorizationDetailsCommand, {
      Filter: ['Role', 'LocalManagedPolicy'],
      MaxItems: 1000,
      Marker: 'm1',
    });
    expect(iamMock).toHaveReceivedCommandTimes(GetPolicyCommand, 1);
    expect(iamMock).not.toHaveReceivedCommand(GetRoleCommand);
    expect(iamMock).not.toHaveReceivedCommand(GetInstanceProfileCommand);
  });

  it('reads role by role what a failed page may have held, and confirms a missing role with GetRole twice', async () => {
    iamMock
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({ RoleDetailList: [role('seen')], IsTruncated: true, Marker: 'm1' })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $retryable: undefined }));
    iamMock.on(GetRoleCommand, { RoleName: 'later' }).resolves({ Role: role('later') as never });
    iamMock
      .on(GetRoleCommand, { RoleName: 'gone' })
      .rejects(Object.assign(new Error('nope'), { name: 'NoSuchEntityException' }));
    iamMock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    const notes: string[] = [];
    const client = new IAMClient({ region: 'us-east-1', maxAttempts: 1 });
    const snapshot = await createBulkIamReader(client, { onNote: (n) => notes.push(n) }).read({
      roleNames: ['seen', 'later', 'gone'],
      instanceProfileNames: [],
    });
    expect(snapshot.roles.get('seen')?.status).toBe('found');
    expect(snapshot.roles.get('later')?.status).toBe('found');
    expect(snapshot.roles.get('gone')).toEqual({ status: 'missing' });
    expect(iamMock).toHaveReceivedCommandTimes(GetRoleCommand, 3);
    expect(notes).toEqual(['iam:GetAccountAuthorizationDetails failed (Throttling): reading the rest role by role']);
  });
});

describe('estimateCalls and the adaptive reader', () => {
  beforeEach(() => iamMock.reset());

  it.each([
    [
      { requestedRoles: 200, requestedProfiles: 80, accountRoles: 2000, accountPolicies: 100 },
      { perRole: 880, bulk: 22 },
    ],
    [
      { requestedRoles: 3, requestedProfiles: 1, accountRoles: 5000, accountPolicies: 900 },
      { perRole: 13, bulk: 60 },
    ],
    [
      { requestedRoles: 0, requestedProfiles: 0, accountRoles: 0, accountPolicies: 0 },
      { perRole: 0, bulk: 2 },
    ],
  ])('models %j as %j', (estimate, calls) => {
    expect(estimateCalls(estimate)).toEqual(calls);
  });

  it('reads role by role in a large account with few Batch roles, and when the summary is denied', async () => {
    iamMock.on(GetAccountSummaryCommand).resolvesOnce({ SummaryMap: { Roles: 5000, Policies: 900 } });
    iamMock.on(GetRoleCommand).resolves({ Role: role('r') as never });
    iamMock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    const notes: string[] = [];
    const reader = createAdaptiveIamReader(new IAMClient({ region: 'us-east-1', maxAttempts: 1 }), {
      onNote: (n) => notes.push(n),
    });
    await reader.read({ roleNames: ['r'], instanceProfileNames: [] });
    iamMock.on(GetAccountSummaryCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await reader.read({ roleNames: ['r'], instanceProfileNames: [] });
    expect(iamMock).not.toHaveReceivedCommand(GetAccountAuthorizationDetailsCommand);
    expect(notes).toEqual([
      expect.stringMatching(/^IAM: per-role reads \(about 4 calls against 60; the account has 5000 roles/),
      'iam:GetAccountSummary failed (AccessDenied): reading role by role',
    ]);
  });
});
