import {
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createPerRoleIamReader } from '../../../src/aws/iam-reader.js';

const iamMock = mockClient(IAMClient);
const ACCOUNT = '123456789012';
const encoded = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));
const ec2Trust = {
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

const roleOutput = (name: string, path = '/') => ({
  Role: {
    RoleName: name,
    Path: path,
    Arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}`,
    RoleId: `AROA${name}`,
    CreateDate: new Date(0),
    AssumeRolePolicyDocument: encoded(ec2Trust),
  },
});

const missing = () => new NoSuchEntityException({ message: 'not found', $metadata: {} });

describe('createPerRoleIamReader', () => {
  beforeEach(() => {
    iamMock.reset();
    iamMock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
  });

  it('tells how far it is, about every tenth of a long read, and nothing for a short one', async () => {
    iamMock.on(GetRoleCommand).callsFake((input: { RoleName: string }) => roleOutput(input.RoleName));
    const notes: string[] = [];
    const names = Array.from({ length: 40 }, (_, i) => `role-${i}`);
    await createPerRoleIamReader(new IAMClient({}), { onNote: (n) => notes.push(n) }).read({
      roleNames: names,
      instanceProfileNames: [],
    });
    expect(notes).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 40].map((n) => `IAM: roles ${n}/40`));
    const quiet: string[] = [];
    await createPerRoleIamReader(new IAMClient({}), { onNote: (n) => quiet.push(n) }).read({
      roleNames: names.slice(0, 19),
      instanceProfileNames: [],
    });
    expect(quiet).toEqual([]);
  });

  it('reads nothing a follow-up request already knows, and answers with what it read now', async () => {
    iamMock.on(GetRoleCommand, { RoleName: 'events-submit' }).resolves(roleOutput('events-submit'));
    iamMock.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [
        { PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/shared`, PolicyName: 'shared' },
        { PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/own`, PolicyName: 'own' },
      ],
    });
    iamMock.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'own', DefaultVersionId: 'v1' } });
    iamMock.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: encoded({ Statement: [] }) } });
    const known = {
      roles: new Map([['ecsinstancerole', { status: 'missing' as const }]]),
      instanceProfiles: new Map(),
      managedPolicies: new Map([[`arn:aws:iam::${ACCOUNT}:policy/shared`, { status: 'missing' as const }]]),
    };
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['events-submit', 'ecsInstanceRole'],
      instanceProfileNames: [],
      known,
    });
    expect([...snapshot.roles.keys()]).toEqual(['events-submit']);
    expect([...snapshot.managedPolicies.keys()]).toEqual([`arn:aws:iam::${ACCOUNT}:policy/own`]);
    expect(iamMock).toHaveReceivedCommandTimes(GetRoleCommand, 1);
    expect(iamMock).toHaveReceivedCommandWith(GetPolicyCommand, { PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/own` });
    expect(iamMock).toHaveReceivedCommandTimes(GetPolicyCommand, 1);
  });

  it('reads a role with every page of its policies and URL-decodes its documents', async () => {
    // Prepare
    iamMock.on(GetRoleCommand, { RoleName: 'ecsInstanceRole' }).resolves(roleOutput('ecsInstanceRole', '/batch/'));
    iamMock
      .on(ListAttachedRolePoliciesCommand)
      .resolvesOnce({
        AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/z', PolicyName: 'z' }],
        IsTruncated: true,
        Marker: 'm1',
      })
      .resolvesOnce({ AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/a', PolicyName: 'a' }] });
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['inline-1'] });
    iamMock.on(GetRolePolicyCommand).resolves({
      RoleName: 'ecsInstanceRole',
      PolicyName: 'inline-1',
      PolicyDocument: encoded({
        Statement: { Effect: 'Allow', Action: 'S3:GetObject', Resource: 'arn:aws:s3:::a+b/*' },
      }),
    });
    // Act
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['ecsInstanceRole'],
      instanceProfileNames: [],
    });
    // Assess
    const read = snapshot.roles.get('ecsinstancerole');
    expect(read?.status).toBe('found');
    if (read?.status !== 'found') return;
    expect(read.value.path).toBe('/batch/');
    expect(read.value.attachedPolicies.map((p) => p.arn)).toEqual([
      'arn:aws:iam::aws:policy/a',
      'arn:aws:iam::aws:policy/z',
    ]);
    expect(read.value.inlinePolicies[0]?.document.statements[0]).toEqual({
      effect: 'Allow',
      actions: ['s3:getobject'],
      resources: ['arn:aws:s3:::a+b/*'],
    });
    expect(read.value.trustPolicy.statements[0]?.principals).toEqual({ Service: ['ec2.amazonaws.com'] });
    expect(iamMock).toHaveReceivedNthCommandWith(ListAttachedRolePoliciesCommand, 2, { Marker: 'm1' });
  });

  it('reads each role, profile and managed policy once however often they are asked for', async () => {
    // Prepare
    const customer = `arn:aws:iam::${ACCOUNT}:policy/shared`;
    iamMock.on(GetInstanceProfileCommand).callsFake((input: { InstanceProfileName: string }) => ({
      InstanceProfile: {
        InstanceProfileName: input.InstanceProfileName,
        InstanceProfileId: 'AIPA1',
        Path: '/',
        Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/${input.InstanceProfileName}`,
        CreateDate: new Date(0),
        Roles: [roleOutput('shared-role').Role],
      },
    }));
    iamMock.on(GetRoleCommand).callsFake((input: { RoleName: string }) => roleOutput(input.RoleName));
    iamMock.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [
        { PolicyArn: customer, PolicyName: 'shared' },
        { PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess', PolicyName: 'AdministratorAccess' },
      ],
    });
    iamMock.on(GetPolicyCommand).resolves({ Policy: { Arn: customer, PolicyName: 'shared', DefaultVersionId: 'v3' } });
    iamMock.on(GetPolicyVersionCommand).resolves({
      PolicyVersion: { Document: JSON.stringify({ Statement: { Effect: 'Allow', Action: '*', Resource: '*' } }) },
    });
    // Act
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['shared-role', 'SHARED-ROLE', 'other-role', 'shared-role'],
      instanceProfileNames: ['profile-a', 'profile-a', 'Profile-A', 'profile-b'],
    });
    // Assess
    expect(iamMock).toHaveReceivedCommandTimes(GetInstanceProfileCommand, 2);
    expect(iamMock).toHaveReceivedCommandTimes(GetRoleCommand, 2);
    expect(iamMock).toHaveReceivedCommandTimes(ListAttachedRolePoliciesCommand, 2);
    // Every distinct managed policy, AWS managed ones too: its default version and that version's document, once.
    expect(iamMock).toHaveReceivedCommandTimes(GetPolicyCommand, 2);
    expect(iamMock).toHaveReceivedCommandWith(GetPolicyVersionCommand, { PolicyArn: customer, VersionId: 'v3' });
    expect(iamMock).toHaveReceivedCommandWith(GetPolicyVersionCommand, {
      PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      VersionId: 'v3',
    });
    expect(iamMock).toHaveReceivedCommandTimes(GetPolicyVersionCommand, 2);
    expect(snapshot.managedPolicies.get(customer)?.status).toBe('found');
    expect([...snapshot.roles.keys()].sort()).toEqual(['other-role', 'shared-role']);
  });

  it('reads a permissions boundary policy with its document, once for every role that has it', async () => {
    // Prepare
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/batch-boundary`;
    iamMock.on(GetRoleCommand).callsFake((input: { RoleName: string }) => ({
      Role: { ...roleOutput(input.RoleName).Role, PermissionsBoundary: { PermissionsBoundaryArn: boundary } },
    }));
    iamMock
      .on(GetPolicyCommand)
      .resolves({ Policy: { Arn: boundary, PolicyName: 'batch-boundary', DefaultVersionId: 'v1' } });
    iamMock.on(GetPolicyVersionCommand).resolves({
      PolicyVersion: { Document: encoded({ Statement: { Effect: 'Allow', Action: 's3:*', Resource: '*' } }) },
    });
    // Act
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['a', 'b'],
      instanceProfileNames: [],
    });
    // Assess
    expect(iamMock).toHaveReceivedCommandTimes(GetPolicyCommand, 1);
    expect(iamMock).toHaveReceivedCommandTimes(GetPolicyVersionCommand, 1);
    const read = snapshot.managedPolicies.get(boundary);
    expect(read?.status === 'found' && read.value.document?.statements).toEqual([
      { effect: 'Allow', actions: ['s3:*'], resources: ['*'] },
    ]);
  });

  it('tells a missing entity from one it could not read, naming the failed operation', async () => {
    // Prepare
    iamMock.on(GetRoleCommand, { RoleName: 'gone' }).rejects(missing());
    iamMock.on(GetRoleCommand, { RoleName: 'locked' }).resolves(roleOutput('locked'));
    iamMock.on(ListRolePoliciesCommand, { RoleName: 'locked' }).rejects(
      new IAMServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'User is not authorized to perform: iam:ListRolePolicies',
        $metadata: { attempts: 1 },
      }),
    );
    iamMock.on(GetInstanceProfileCommand).rejects(missing());
    // Act
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['gone', 'locked'],
      instanceProfileNames: ['nope'],
    });
    // Assess
    expect(snapshot.roles.get('gone')).toEqual({ status: 'missing' });
    expect(snapshot.instanceProfiles.get('nope')).toEqual({ status: 'missing' });
    // What was read is kept; the listing that failed is named.
    const locked = snapshot.roles.get('locked');
    expect(locked?.status).toBe('found');
    expect(locked?.status === 'found' && locked.value.trustPolicy.statements).toHaveLength(1);
    expect(locked?.status === 'found' && locked.value.unread).toEqual([
      {
        operation: 'iam:ListRolePolicies',
        resource: { type: 'role', name: 'locked' },
        code: 'AccessDenied',
        message: 'User is not authorized to perform: iam:ListRolePolicies',
      },
    ]);
    // A role is missing only when GetRole says so twice.
    expect(iamMock).toHaveReceivedCommandWith(GetRoleCommand, { RoleName: 'gone' });
    expect(iamMock.commandCalls(GetRoleCommand, { RoleName: 'gone' })).toHaveLength(2);
  });

  it('takes an empty successful answer for a read error, never for a missing entity', async () => {
    iamMock.on(GetRoleCommand).resolves({});
    iamMock.on(GetInstanceProfileCommand).resolves({});
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['r'],
      instanceProfileNames: ['p'],
    });
    expect(snapshot.roles.get('r')).toMatchObject({
      status: 'error',
      error: { operation: 'iam:GetRole', code: 'EmptyResponse' },
    });
    expect(snapshot.instanceProfiles.get('p')).toMatchObject({
      status: 'error',
      error: { operation: 'iam:GetInstanceProfile', code: 'EmptyResponse' },
    });
  });

  it('takes a listing page without its list for a read error, never for "no policies"', async () => {
    iamMock.on(GetRoleCommand).resolves(roleOutput('r'));
    iamMock.on(ListAttachedRolePoliciesCommand).resolves({});
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['r'],
      instanceProfileNames: [],
    });
    const r = snapshot.roles.get('r');
    expect(r?.status === 'found' && r.value.unread?.map((e) => [e.operation, e.code])).toEqual([
      ['iam:ListAttachedRolePolicies', 'EmptyResponse'],
    ]);
  });

  it('reads a role again when an inline policy disappears between list and get, as during a deploy', async () => {
    // Prepare: the first pass lists "old", which is gone when fetched; the second pass no longer lists it.
    iamMock.on(GetRoleCommand).resolves(roleOutput('app'));
    iamMock
      .on(ListRolePoliciesCommand)
      .resolvesOnce({ PolicyNames: ['old'] })
      .resolves({ PolicyNames: [] });
    iamMock.on(GetRolePolicyCommand).rejects(missing());
    // Act
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['app'],
      instanceProfileNames: [],
    });
    // Assess
    const app = snapshot.roles.get('app');
    expect(app?.status).toBe('found');
    expect(app?.status === 'found' && [app.value.inlinePolicies, app.value.unread]).toEqual([[], undefined]);
    expect(iamMock).toHaveReceivedCommandTimes(GetRoleCommand, 2);
  });

  it('reports a sub-read that vanishes twice as a read error, keeping the role', async () => {
    iamMock.on(GetRoleCommand).resolves(roleOutput('app'));
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['flapping'] });
    iamMock.on(GetRolePolicyCommand).rejects(missing());
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['app'],
      instanceProfileNames: [],
    });
    const app = snapshot.roles.get('app');
    expect(app?.status).toBe('found');
    expect(app?.status === 'found' && app.value.unread?.[0]).toMatchObject({
      operation: 'iam:GetRolePolicy',
      code: 'NoSuchEntityException',
      message: expect.stringMatching(/changed while it was read twice/),
    });
  });

  it('reports throttling that outlasted the retries with the number of attempts', async () => {
    iamMock.on(GetRoleCommand).rejects(
      new IAMServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { attempts: 8 },
      }),
    );
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['r'],
      instanceProfileNames: [],
    });
    expect(snapshot.roles.get('r')).toMatchObject({
      status: 'error',
      error: { operation: 'iam:GetRole', code: 'Throttling', message: 'Rate exceeded (after 8 attempts)' },
    });
  });

  it('reports a policy document it cannot parse as an error, not as a clean role', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { ...roleOutput('r').Role, AssumeRolePolicyDocument: '%7Bbroken' } });
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read({
      roleNames: ['r'],
      instanceProfileNames: [],
    });
    expect(snapshot.roles.get('r')).toMatchObject({ status: 'error', error: { code: 'PolicyParseError' } });
  });

  it('reports a call still retrying when the deadline comes as a deadline error, at once', async () => {
    // Prepare: GetRole never answers (a throttled call waiting out its back-off).
    iamMock.on(GetRoleCommand).callsFake(() => new Promise(() => undefined));
    const controller = new AbortController();
    // Act
    const reading = createPerRoleIamReader(new IAMClient({})).read(
      { roleNames: ['r'], instanceProfileNames: [] },
      controller.signal,
    );
    controller.abort(
      Object.assign(new Error('stopped reading 20 s before the Lambda timeout'), { name: 'DeadlineError' }),
    );
    const snapshot = await reading;
    // Assess
    expect(snapshot.roles.get('r')).toMatchObject({
      status: 'error',
      error: { operation: 'iam:GetRole', code: 'DeadlineError' },
    });
  });

  it('keeps no more IAM calls in flight than its concurrency', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    iamMock.on(GetRoleCommand).callsFake(async (input: { RoleName: string }) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return roleOutput(input.RoleName);
    });
    // Act
    await createPerRoleIamReader(new IAMClient({}), { concurrency: 2 }).read({
      roleNames: Array.from({ length: 10 }, (_, i) => `role-${i}`),
      instanceProfileNames: [],
    });
    // Assess
    expect(peak).toBe(2);
  });

  it('stops reading when the signal aborts and records what it did not read', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    const snapshot = await createPerRoleIamReader(new IAMClient({})).read(
      { roleNames: ['r'], instanceProfileNames: [] },
      controller.signal,
    );
    expect(snapshot.roles.get('r')).toMatchObject({ status: 'error', error: { operation: 'iam:GetRole' } });
    expect(iamMock).not.toHaveReceivedCommand(GetRoleCommand);
  });
});
