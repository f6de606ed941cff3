import { describe, expect, it } from 'vitest';
import { AWS_DEFAULT_BASELINE, type BaselineOverlay, overlayBaseline } from '../../../src/domain/baseline.js';
import type { ComputeEnvironment, IamSnapshot, RoleState } from '../../../src/domain/model.js';
import { normalisePolicy } from '../../../src/domain/policy.js';
import {
  ACCOUNT,
  aws,
  ce,
  documentedRoles,
  evaluateInventory,
  found,
  profile,
  snapshotOf,
} from '../../support/domain.js';

// The documented roles use the legacy customer service role; its info-level advice is tested on its own.
const evaluate = (overlay: BaselineOverlay, snapshot: IamSnapshot, ces: ComputeEnvironment[] = [ce('ce-a')]) =>
  evaluateInventory({ computeEnvironments: ces }, snapshot, overlayBaseline(AWS_DEFAULT_BASELINE, overlay))
    .filter((f) => f.rule !== 'service-role-not-slr')
    .map((f) => [f.rule, f.severity, f.subject, f.actual]);

const CUSTOMER = `arn:aws:iam::${ACCOUNT}:policy/results-writer`;
const read = normalisePolicy({
  Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::results/*' },
});
const readWrite = normalisePolicy({
  Statement: { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::results/*' },
});
const admin = normalisePolicy({ Statement: { Effect: 'Allow', Action: '*', Resource: '*' } });

const withInstanceRole = (
  changes: Partial<RoleState>,
  policies: [string, { document: typeof read; version: string }][] = [],
) => {
  const roles = documentedRoles();
  const snapshot = snapshotOf(
    { ...roles, ecsInstanceRole: found({ ...(roles.ecsInstanceRole as { value: RoleState }).value, ...changes }) },
    { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) },
  );
  return {
    ...snapshot,
    managedPolicies: new Map(
      policies.map(([arn, p]) => [arn, found({ arn, name: 'p', defaultVersionId: p.version, document: p.document })]),
    ),
  };
};

const ECS = {
  arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'),
  name: 'AmazonEC2ContainerServiceforEC2Role',
};

describe('evaluateRules with a team baseline', () => {
  it('accepts what the team allows: a managed policy, an inline policy by name, a principal', () => {
    const overlay: BaselineOverlay = {
      roleKinds: { 'instance-role': { allowedManagedPolicies: ['AmazonSSMManagedInstanceCore'] } },
      roles: [
        {
          match: { name: 'ecsInstance*' },
          inlinePolicies: { 'anything-goes': null },
          trust: { principals: [`AWS:arn:aws:iam::${ACCOUNT}:role/break-glass`] },
        },
      ],
    };
    const snapshot = withInstanceRole({
      attachedPolicies: [ECS, { arn: aws('AmazonSSMManagedInstanceCore'), name: 'AmazonSSMManagedInstanceCore' }],
      inlinePolicies: [{ name: 'anything-goes', document: readWrite }],
      trustPolicy: normalisePolicy({
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/break-glass` }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    expect(evaluate(overlay, snapshot)).toEqual([]);
  });

  it('reports a pinned document that broadened, naming what was added', () => {
    const overlay: BaselineOverlay = {
      roles: [
        {
          match: { name: 'ecsInstanceRole' },
          customerManagedPolicies: { [CUSTOMER]: { document: read, versionId: 'v1' } },
        },
      ],
    };
    const snapshot = withInstanceRole({ attachedPolicies: [ECS, { arn: CUSTOMER, name: 'results-writer' }] }, [
      [CUSTOMER, { document: readWrite, version: 'v2' }],
    ]);
    expect(evaluate(overlay, snapshot)).toEqual([
      ['policy-document-changed', 'medium', CUSTOMER, 'version v2: access broadened (security); gained: s3:PutObject'],
    ]);
  });

  it('raises a change that makes a pinned document dangerous to high, beside the dangerous-permission finding', () => {
    const overlay: BaselineOverlay = {
      roles: [{ match: { name: 'ecsInstanceRole' }, customerManagedPolicies: { [CUSTOMER]: { document: read } } }],
    };
    const snapshot = withInstanceRole({ attachedPolicies: [ECS, { arn: CUSTOMER, name: 'results-writer' }] }, [
      [CUSTOMER, { document: admin, version: 'v2' }],
    ]);
    expect(evaluate(overlay, snapshot).map(([rule, severity]) => [rule, severity])).toEqual([
      ['dangerous-permission', 'critical'],
      ['policy-document-changed', 'high'],
    ]);
  });

  it('accepts a pinned dangerous document that has not changed, and notes a new version with the same content', () => {
    const overlay: BaselineOverlay = {
      roles: [
        {
          match: { name: 'ecsInstanceRole' },
          customerManagedPolicies: { [CUSTOMER]: { document: admin, versionId: 'v1' } },
        },
      ],
    };
    const snapshot = withInstanceRole({ attachedPolicies: [ECS, { arn: CUSTOMER, name: 'break-glass' }] }, [
      [CUSTOMER, { document: admin, version: 'v7' }],
    ]);
    expect(evaluate(overlay, snapshot)).toEqual([
      ['policy-document-changed', 'info', CUSTOMER, 'default version v7, same effective access'],
    ]);
  });

  it('reports a narrowed inline policy and a removed one', () => {
    const overlay: BaselineOverlay = {
      roles: [{ match: { name: 'ecsInstanceRole' }, inlinePolicies: { results: readWrite, logs: read } }],
    };
    const snapshot = withInstanceRole({
      attachedPolicies: [ECS],
      inlinePolicies: [{ name: 'results', document: read }],
    });
    expect(evaluate(overlay, snapshot)).toEqual([
      ['inline-policy-missing', 'medium', 'logs', 'no inline policy of that name: access narrowed, Batch may break'],
      ['policy-document-changed', 'medium', 'results', 'access narrowed (Batch may break); lost: s3:PutObject'],
    ]);
  });

  it('reports a pinned trust policy that changed without a new principal', () => {
    const pinned = normalisePolicy({
      Statement: {
        Effect: 'Allow',
        Principal: { Service: 'ec2.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    });
    const overlay: BaselineOverlay = { roles: [{ match: { name: 'ecsInstanceRole' }, trust: { document: pinned } }] };
    const findings = evaluate(overlay, withInstanceRole({ attachedPolicies: [ECS] }));
    expect(findings.map(([rule, severity]) => [rule, severity])).toEqual([['trust-policy-changed', 'high']]);
  });

  it('reports a permissions boundary removed, added or changed', () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/batch-boundary`;
    const removed = evaluate(
      { roles: [{ match: { name: 'ecsInstanceRole' }, permissionsBoundary: boundary }] },
      withInstanceRole({ attachedPolicies: [ECS] }),
    );
    expect(removed.map(([rule, , , actual]) => [rule, actual])).toEqual([
      ['permissions-boundary-changed', 'no permissions boundary: the role may use everything its policies grant'],
    ]);
    const added = evaluate(
      { roles: [{ match: { name: 'ecsInstanceRole' }, permissionsBoundary: null }] },
      withInstanceRole({ attachedPolicies: [ECS], permissionsBoundaryArn: boundary }),
    );
    expect(added.map(([rule]) => rule)).toEqual(['permissions-boundary-changed']);
  });

  it('selects role entries by compute environment tag and by kind', () => {
    const overlay: BaselineOverlay = {
      roles: [
        {
          match: { computeEnvironmentTag: { key: 'team', value: 'etl' } },
          kind: 'instance-role',
          managedPolicies: ['AdministratorAccess'],
        },
      ],
    };
    const snapshot = withInstanceRole({
      attachedPolicies: [{ arn: aws('AdministratorAccess'), name: 'AdministratorAccess' }],
    });
    expect(evaluate(overlay, snapshot, [ce('ce-a', { tags: { team: 'etl' } })])).toEqual([]);
    expect(evaluate(overlay, snapshot, [ce('ce-a', { tags: { team: 'genomics' } })]).map(([rule]) => rule)).toEqual([
      'dangerous-permission',
      'managed-policy-missing',
    ]);
  });
});
