import { describe, expect, it } from 'vitest';
import { AWS_DEFAULT_BASELINE, type Baseline, overlayBaseline } from '../../../src/domain/baseline.js';
import type { ComputeEnvironment, IamSnapshot, RoleState } from '../../../src/domain/model.js';
import { normalisePolicy } from '../../../src/domain/policy.js';
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
  withInstanceRole,
} from '../../support/domain.js';

// These tables use the legacy customer service role throughout; its info-level advice is tested on its own.
const evaluate = (computeEnvironments: ComputeEnvironment[], snapshot: IamSnapshot, baseline?: Baseline) =>
  evaluateInventory({ computeEnvironments }, snapshot, baseline).filter((f) => f.rule !== 'service-role-not-slr');

const summary = (findings: ReturnType<typeof evaluate>) =>
  findings.map((f) => [f.rule, f.severity, f.resource.name, f.subject]);

describe('evaluateRules', () => {
  it('finds nothing in a by-the-docs account', () => {
    expect(evaluate([ce('a')], withInstanceRole({}))).toEqual([]);
  });

  it('reports AdministratorAccess on the instance role once, listing every compute environment', () => {
    const findings = evaluate(
      [ce('b'), ce('a'), ce('c', { instanceRole: `arn:aws:iam::${ACCOUNT}:instance-profile/ecsInstanceRole` })],
      withInstanceRole({
        attachedPolicies: [
          { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'AmazonEC2ContainerServiceforEC2Role' },
          { arn: aws('AdministratorAccess'), name: 'AdministratorAccess' },
        ],
      }),
    );
    expect(summary(findings)).toEqual([['dangerous-permission', 'critical', 'ecsInstanceRole', 'full-admin']]);
    expect(findings[0]?.actual).toMatch(/allowed by AWS managed policy AdministratorAccess \(statement #0\)/);
    expect(findings[0]?.computeEnvironments).toEqual([ceArn('a'), ceArn('b'), ceArn('c')]);
    expect(findings[0]?.roleKind).toBe('instance-role');
    expect(findings[0]?.remediation).toBe(
      `aws iam detach-role-policy --role-name ecsInstanceRole --policy-arn ${aws('AdministratorAccess')}`,
    );
  });

  it.each([
    [
      'a detached required policy',
      { attachedPolicies: [] },
      [['managed-policy-missing', 'high', 'ecsInstanceRole', aws('service-role/AmazonEC2ContainerServiceforEC2Role')]],
    ],
    [
      'a harmless extra managed policy',
      {
        attachedPolicies: [
          { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'x' },
          { arn: aws('AmazonEC2ReadOnlyAccess'), name: 'AmazonEC2ReadOnlyAccess' },
        ],
      },
      [['managed-policy-unexpected', 'low', 'ecsInstanceRole', aws('AmazonEC2ReadOnlyAccess')]],
    ],
    [
      'routine add-ons, at their curated severity (SSM core reads every parameter: low, not high)',
      {
        attachedPolicies: [
          { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'x' },
          { arn: aws('AmazonSSMManagedInstanceCore'), name: 'AmazonSSMManagedInstanceCore' },
          { arn: aws('CloudWatchAgentServerPolicy'), name: 'CloudWatchAgentServerPolicy' },
        ],
      },
      [
        ['managed-policy-unexpected', 'low', 'ecsInstanceRole', aws('AmazonSSMManagedInstanceCore')],
        ['managed-policy-unexpected', 'info', 'ecsInstanceRole', aws('CloudWatchAgentServerPolicy')],
      ],
    ],
    [
      'SSM full access (run commands, read every parameter) and S3 read-only (read every object) by their documents',
      {
        attachedPolicies: [
          { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'x' },
          { arn: aws('AmazonS3ReadOnlyAccess'), name: 'AmazonS3ReadOnlyAccess' },
          { arn: aws('AmazonSSMFullAccess'), name: 'AmazonSSMFullAccess' },
        ],
      },
      [
        ['dangerous-permission', 'critical', 'ecsInstanceRole', 'service-wildcard'],
        ['data-access', 'high', 'ecsInstanceRole', 'data-access'],
      ],
    ],
    [
      'a deprecated managed policy',
      {
        attachedPolicies: [
          { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'x' },
          { arn: aws('AWSLambdaFullAccess'), name: 'AWSLambdaFullAccess' },
        ],
      },
      [['deprecated-managed-policy', 'medium', 'ecsInstanceRole', aws('AWSLambdaFullAccess')]],
    ],
    [
      'an inline policy with iam:*',
      {
        attachedPolicies: [{ arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'x' }],
        inlinePolicies: [
          {
            name: 'fix-it',
            document: normalisePolicy({ Statement: { Effect: 'Allow', Action: 'iam:*', Resource: '*' } }),
          },
        ],
      },
      [['dangerous-permission', 'critical', 'ecsInstanceRole', 'service-wildcard']],
    ],
    [
      'a harmless inline policy',
      {
        attachedPolicies: [{ arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'x' }],
        inlinePolicies: [
          {
            name: 'write-results',
            document: normalisePolicy({ Statement: { Effect: 'Allow', Action: 's3:PutObject', Resource: '*' } }),
          },
        ],
      },
      [['inline-policy-unexpected', 'medium', 'ecsInstanceRole', 'write-results']],
    ],
    [
      'a trust policy for another service',
      {
        trustPolicy: normalisePolicy({
          Statement: { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        }),
      },
      [
        ['trust-service-missing', 'high', 'ecsInstanceRole', 'ec2.amazonaws.com'],
        ['trust-principal-unexpected', 'medium', 'ecsInstanceRole', 'Service:lambda.amazonaws.com'],
      ],
    ],
  ])('reports %s', (_label, changes, expected) => {
    expect(summary(evaluate([ce('a')], withInstanceRole(changes as Partial<RoleState>)))).toEqual(expected);
  });

  it('judges a customer-managed policy by its document', () => {
    const snapshot = withInstanceRole({
      attachedPolicies: [
        { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'x' },
        { arn: `arn:aws:iam::${ACCOUNT}:policy/break-glass`, name: 'break-glass' },
      ],
    });
    const policies = new Map([
      [
        `arn:aws:iam::${ACCOUNT}:policy/break-glass`,
        found({
          arn: `arn:aws:iam::${ACCOUNT}:policy/break-glass`,
          name: 'break-glass',
          defaultVersionId: 'v2',
          document: normalisePolicy({ Statement: { Effect: 'Allow', Action: '*', Resource: '*' } }),
        }),
      ],
    ]);
    const findings = evaluate([ce('a')], { ...snapshot, managedPolicies: policies });
    expect(summary(findings)).toEqual([['dangerous-permission', 'critical', 'ecsInstanceRole', 'full-admin']]);
    expect(findings[0]?.actual).toMatch(/customer-managed policy break-glass \(statement #0\)/);
    expect(findings[0]?.remediation).toMatch(/edit customer-managed policy break-glass/);
  });

  it('keeps the findings of what was read when a listing failed, and invents no missing policy', () => {
    const unread = [
      {
        operation: 'iam:ListAttachedRolePolicies',
        resource: { type: 'role' as const, name: 'ecsInstanceRole' },
        code: 'AccessDenied',
        message: 'denied',
      },
    ];
    const snapshot = withInstanceRole({
      attachedPolicies: [],
      unread,
      trustPolicy: normalisePolicy({
        Statement: { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'sts:AssumeRole' },
      }),
    });
    expect(summary(evaluate([ce('a')], snapshot))).toEqual([
      ['trust-principal-unexpected', 'critical', 'ecsInstanceRole', 'AWS:210987654321'],
      ['trust-service-missing', 'high', 'ecsInstanceRole', 'ec2.amazonaws.com'],
    ]);
  });

  it('reports a missing role and a missing instance profile', () => {
    const findings = evaluate(
      [ce('a', { instanceRole: 'gone-profile' })],
      snapshotOf({ AWSBatchServiceRole: { status: 'missing' } }, { 'gone-profile': { status: 'missing' } }),
    );
    expect(summary(findings)).toEqual([
      ['instance-profile-missing', 'high', 'gone-profile', ''],
      ['role-missing', 'high', 'AWSBatchServiceRole', ''],
    ]);
    expect(findings[1]?.resource.arn).toBe(roleArn('AWSBatchServiceRole', '/service-role/'));
  });

  it('reports an empty instance profile and one holding another role than the baseline pins', () => {
    const roles = documentedRoles();
    const empty = evaluate([ce('a')], snapshotOf(roles, { ecsInstanceRole: found(profile('ecsInstanceRole', [])) }));
    expect(summary(empty)).toEqual([['instance-profile-role-mismatch', 'high', 'ecsInstanceRole', '']]);

    const pinned = overlayBaseline(AWS_DEFAULT_BASELINE, {
      instanceProfileRoles: { ecsInstanceRole: 'ecsInstanceRole' },
    });
    const swapped = evaluate(
      [ce('a')],
      snapshotOf(
        {
          ...roles,
          'other-role': found(
            role('other-role', 'ec2.amazonaws.com', {
              attachedPolicies: [{ arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'x' }],
            }),
          ),
        },
        { ecsInstanceRole: found(profile('ecsInstanceRole', ['other-role'])) },
      ),
      pinned,
    );
    expect(summary(swapped)).toEqual([['instance-profile-role-mismatch', 'high', 'ecsInstanceRole', 'other-role']]);
  });

  it('asks for confused-deputy conditions on customer service roles only', () => {
    const roles = documentedRoles();
    const bare = found(
      role('AWSBatchServiceRole', 'batch.amazonaws.com', {
        path: '/service-role/',
        attachedPolicies: [{ arn: aws('service-role/AWSBatchServiceRole'), name: 'AWSBatchServiceRole' }],
      }),
    );
    const slr = found(
      role('AWSServiceRoleForBatch', 'batch.amazonaws.com', {
        path: '/aws-service-role/batch.amazonaws.com/',
        attachedPolicies: [{ arn: aws('aws-service-role/BatchServiceRolePolicy'), name: 'BatchServiceRolePolicy' }],
      }),
    );
    const findings = evaluate(
      [ce('a'), ce('fargate', { serviceRole: undefined, resourceType: 'FARGATE', instanceRole: undefined })],
      snapshotOf(
        { ...roles, AWSBatchServiceRole: bare, AWSServiceRoleForBatch: slr },
        { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) },
      ),
    );
    expect(summary(findings)).toEqual([['trust-confused-deputy', 'low', 'AWSBatchServiceRole', 'batch.amazonaws.com']]);
  });

  it('judges the service-linked role against its own baseline, found by path', () => {
    const slr = found(
      role('AWSServiceRoleForBatch', 'batch.amazonaws.com', {
        path: '/aws-service-role/batch.amazonaws.com/',
        attachedPolicies: [{ arn: aws('service-role/AWSBatchServiceRole'), name: 'AWSBatchServiceRole' }],
      }),
    );
    const findings = evaluate(
      [ce('f', { serviceRole: undefined, resourceType: 'FARGATE', instanceRole: undefined })],
      snapshotOf({ AWSServiceRoleForBatch: slr }),
    );
    expect(summary(findings)).toEqual([
      ['managed-policy-missing', 'high', 'AWSServiceRoleForBatch', aws('aws-service-role/BatchServiceRolePolicy')],
      ['managed-policy-unexpected', 'high', 'AWSServiceRoleForBatch', aws('service-role/AWSBatchServiceRole')],
      // The legacy policy's unscoped RunInstances and PassRole go beyond what the service-linked role is accepted to do.
      ['privilege-escalation', 'high', 'AWSServiceRoleForBatch', 'passrole-ec2'],
      ['privilege-escalation', 'high', 'AWSServiceRoleForBatch', 'passrole-ecs-task'],
    ]);
    expect(findings[0]?.roleKind).toBe('service-linked-role');
  });

  it('expects EKS node policies on an EKS compute environment and accepts either ECR pull policy', () => {
    const roles = documentedRoles();
    const eksNode = found(
      role('eksNodeRole', 'ec2.amazonaws.com', {
        attachedPolicies: [
          { arn: aws('AmazonEKSWorkerNodePolicy'), name: 'AmazonEKSWorkerNodePolicy' },
          { arn: aws('AmazonEC2ContainerRegistryReadOnly'), name: 'AmazonEC2ContainerRegistryReadOnly' },
        ],
      }),
    );
    const slr = found(
      role('AWSServiceRoleForBatch', 'batch.amazonaws.com', {
        path: '/aws-service-role/batch.amazonaws.com/',
        attachedPolicies: [{ arn: aws('aws-service-role/BatchServiceRolePolicy'), name: 'BatchServiceRolePolicy' }],
      }),
    );
    const eks = ce('eks', { orchestration: 'EKS', instanceRole: 'eksNodeProfile', serviceRole: undefined });
    const ok = evaluate(
      [eks],
      snapshotOf(
        { ...roles, AWSServiceRoleForBatch: slr, eksNodeRole: eksNode },
        { eksNodeProfile: found(profile('eksNodeProfile', ['eksNodeRole'])) },
      ),
    );
    expect(ok).toEqual([]);
    const wrong = evaluate(
      [eks],
      snapshotOf(
        { ...roles, AWSServiceRoleForBatch: slr },
        { eksNodeProfile: found(profile('eksNodeProfile', ['ecsInstanceRole'])) },
      ),
    );
    // The ECS instance policy grants ECR pulls on every repository: the pull requirement is met, the EKS one is not.
    expect(summary(wrong).map(([rule, severity, , subject]) => [rule, severity, subject])).toEqual([
      ['managed-policy-missing', 'high', aws('AmazonEKSWorkerNodePolicy')],
      ['instance-role-wrong-orchestration', 'low', aws('service-role/AmazonEC2ContainerServiceforEC2Role')],
      ['managed-policy-missing', 'info', aws('AmazonEC2ContainerRegistryPullOnly')],
    ]);
  });

  it('reports an INVALID compute environment with an IAM reason verbatim, and ignores other reasons', () => {
    const reason =
      'CLIENT_ERROR - Not authorized to perform sts:AssumeRole (Service: AWSSecurityTokenService; Status Code: 403)';
    const findings = evaluate(
      [
        ce('broken', { status: 'INVALID', statusReason: reason }),
        ce('quota', { status: 'INVALID', statusReason: 'vCPU limit reached' }),
      ],
      withInstanceRole({}),
    );
    expect(summary(findings)).toEqual([['compute-environment-invalid', 'high', 'broken', '']]);
    expect(findings[0]?.actual).toBe(`INVALID: ${reason}`);
  });

  it('skips roles that could not be read instead of calling them clean or missing', () => {
    const findings = evaluate(
      [ce('a')],
      snapshotOf(
        {
          AWSBatchServiceRole: {
            status: 'error',
            error: {
              operation: 'iam:GetRole',
              resource: { type: 'role', name: 'AWSBatchServiceRole' },
              code: 'AccessDenied',
              message: 'no',
            },
          },
        },
        {
          ecsInstanceRole: {
            status: 'error',
            error: {
              operation: 'iam:GetInstanceProfile',
              resource: { type: 'instance-profile', name: 'ecsInstanceRole' },
              code: 'Throttling',
              message: 'Rate exceeded',
            },
          },
        },
      ),
    );
    expect(findings).toEqual([]);
  });

  it('gives the same finding the same id on every run', () => {
    const snapshot = withInstanceRole({ attachedPolicies: [] });
    const first = evaluate([ce('a')], snapshot);
    const second = evaluate([ce('a'), ce('b')], snapshot);
    expect(first[0]?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(second[0]?.id).toBe(first[0]?.id);
  });
});
