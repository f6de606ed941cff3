import { AWS_DEFAULT_BASELINE, awsManagedPolicyKey, type Baseline } from '../../src/domain/baseline.js';
import type { Finding } from '../../src/domain/finding.js';
import type {
  ComputeEnvironment,
  IamSnapshot,
  InstanceProfileState,
  ManagedPolicyState,
  Read,
  RoleState,
} from '../../src/domain/model.js';
import { normalisePolicy } from '../../src/domain/policy.js';
import { addProfileRoles, type Inventory, planReferences } from '../../src/domain/references.js';
import { evaluateRules } from '../../src/domain/rules/index.js';
import managedFixture from '../fixtures/aws-managed-policies.json' with { type: 'json' };

export const ACCOUNT = '123456789012';
export const ceArn = (name: string, region = 'us-east-1') =>
  `arn:aws:batch:${region}:${ACCOUNT}:compute-environment/${name}`;
export const roleArn = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
export const aws = (key: string) => `arn:aws:iam::aws:policy/${key}`;

export const trustOf = (service: string) =>
  normalisePolicy({ Statement: { Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' } });

/** A role in its documented state, with overrides. */
export const role = (name: string, service: string, overrides: Partial<RoleState> = {}): RoleState => ({
  name,
  arn: roleArn(name, overrides.path ?? '/'),
  path: '/',
  roleId: `AROA${name.toUpperCase()}`,
  trustPolicy: trustOf(service),
  attachedPolicies: [],
  inlinePolicies: [],
  ...overrides,
});

/** A managed EC2 compute environment, with overrides. */
export const ce = (name: string, overrides: Partial<ComputeEnvironment> = {}): ComputeEnvironment => ({
  arn: ceArn(name, overrides.region),
  name,
  region: 'us-east-1',
  type: 'MANAGED',
  status: 'VALID',
  orchestration: 'ECS',
  serviceRole: roleArn('AWSBatchServiceRole', '/service-role/'),
  resourceType: 'EC2',
  instanceRole: 'ecsInstanceRole',
  ...overrides,
});

export const found = <T>(value: T): Read<T> => ({ status: 'found', value });

/** A snapshot holding the given roles and profiles, keyed as readers key them. */
export const snapshotOf = (
  roles: Record<string, Read<RoleState>>,
  profiles: Record<string, Read<InstanceProfileState>> = {},
): IamSnapshot =>
  withAwsManagedDocuments({
    roles: new Map(Object.entries(roles).map(([k, v]) => [k.toLowerCase(), v])),
    instanceProfiles: new Map(Object.entries(profiles).map(([k, v]) => [k.toLowerCase(), v])),
    managedPolicies: new Map(),
  });

export const profile = (name: string, roleNames: string[]): InstanceProfileState => ({
  name,
  arn: `arn:aws:iam::${ACCOUNT}:instance-profile/${name}`,
  path: '/',
  roleNames,
});

/** The documented service role, instance role and profile. */
export const documentedRoles = () => ({
  AWSBatchServiceRole: found(
    role('AWSBatchServiceRole', 'batch.amazonaws.com', {
      path: '/service-role/',
      trustPolicy: normalisePolicy({
        Statement: {
          Effect: 'Allow',
          Principal: { Service: 'batch.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      }),
      attachedPolicies: [{ arn: aws('service-role/AWSBatchServiceRole'), name: 'AWSBatchServiceRole' }],
    }),
  ),
  ecsInstanceRole: found(
    role('ecsInstanceRole', 'ec2.amazonaws.com', {
      attachedPolicies: [
        { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'AmazonEC2ContainerServiceforEC2Role' },
      ],
    }),
  ),
});

/** The documented account, its instance role changed by `changes`, and the instance profile holding it. */
export const withInstanceRole = (changes: Partial<RoleState> = {}): IamSnapshot => {
  const roles = documentedRoles();
  return snapshotOf(
    { ...roles, ecsInstanceRole: found({ ...(roles.ecsInstanceRole as { value: RoleState }).value, ...changes }) },
    { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) },
  );
};

/** The documented account with one more AWS managed policy on the instance role. */
export const withExtraInstancePolicy = (name: string): IamSnapshot =>
  withInstanceRole({
    attachedPolicies: [
      { arn: aws('service-role/AmazonEC2ContainerServiceforEC2Role'), name: 'AmazonEC2ContainerServiceforEC2Role' },
      { arn: aws(name), name },
    ],
  });

const AWS_MANAGED = managedFixture.policies as Record<string, { versionId: string; document: unknown }>;

/**
 * Adds what the reader would have read for every AWS managed policy the roles attach: its default
 * version and document, from the recorded fixture (test/fixtures/aws-managed-policies.json). A policy
 * the snapshot already holds keeps its version; one absent from the fixture stays unread.
 */
export const withAwsManagedDocuments = (snapshot: IamSnapshot): IamSnapshot => {
  const managedPolicies = new Map(snapshot.managedPolicies);
  for (const read of snapshot.roles.values()) {
    if (read.status !== 'found') continue;
    for (const { arn, name } of read.value.attachedPolicies) {
      const key = awsManagedPolicyKey(arn);
      const fixture = key ? AWS_MANAGED[key] : undefined;
      const held = managedPolicies.get(arn);
      if (!fixture || (held && held.status !== 'found') || (held?.status === 'found' && held.value.document)) continue;
      const value: ManagedPolicyState = {
        arn,
        name,
        defaultVersionId: held?.status === 'found' ? held.value.defaultVersionId : fixture.versionId,
        document: normalisePolicy(fixture.document),
      };
      managedPolicies.set(arn, { status: 'found', value });
    }
  }
  return { ...snapshot, managedPolicies };
};

/** Plans references for an inventory and runs every rule, as runAudit does after reading IAM. */
export const evaluateInventory = (
  inventory: Inventory,
  snapshot: IamSnapshot,
  baseline: Baseline = AWS_DEFAULT_BASELINE,
  partition = 'aws',
): Finding[] => {
  const plan = addProfileRoles(
    planReferences(inventory, {
      serviceLinkedRoleName: baseline.serviceLinkedRole.name,
      account: ACCOUNT,
      partition,
    }),
    snapshot.instanceProfiles,
  );
  return evaluateRules({
    account: ACCOUNT,
    partition,
    baseline,
    computeEnvironments: inventory.computeEnvironments,
    plan,
    snapshot: withAwsManagedDocuments(snapshot),
  });
};
