import { BatchClient, type CRType, CreateComputeEnvironmentCommand } from '@aws-sdk/client-batch';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';

/** moto's fixed account id. */
export const ACCOUNT = '123456789012';

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** SDK clients for seeding a moto server (not the auditor's own clients). */
export interface SeedClients {
  readonly iam: IAMClient;
  batch(region: string): BatchClient;
  ec2(region: string): EC2Client;
}

/** Builds seeding clients pointed at `endpoint`. */
export const seedClients = (endpoint: string): SeedClients => ({
  iam: new IAMClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS }),
  batch: (region) => new BatchClient({ region, endpoint, credentials: CREDENTIALS }),
  ec2: (region) => new EC2Client({ region, endpoint, credentials: CREDENTIALS }),
});

/** A trust policy letting one service assume the role. */
export const trustFor = (service: string): Record<string, unknown> => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
});

/** The documented Batch service role trust, scoped to this account against the confused deputy. */
export const scopedBatchTrust = (account = ACCOUNT): Record<string, unknown> => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'batch.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': account } },
    },
  ],
});

/** An AWS managed policy ARN from its `path/name`. */
export const awsPolicy = (key: string): string => `arn:aws:iam::aws:policy/${key}`;

/** What a seeded role looks like. */
export interface RoleSpec {
  readonly name: string;
  readonly path?: string;
  readonly trust: Record<string, unknown> | string;
  readonly managed?: readonly string[];
  readonly inline?: Readonly<Record<string, Record<string, unknown>>>;
}

/** Creates a role with its managed and inline policies; returns its ARN. */
export const createRole = async (clients: SeedClients, spec: RoleSpec): Promise<string> => {
  const out = await clients.iam.send(
    new CreateRoleCommand({
      RoleName: spec.name,
      Path: spec.path ?? '/',
      AssumeRolePolicyDocument: typeof spec.trust === 'string' ? spec.trust : JSON.stringify(spec.trust),
    }),
  );
  for (const arn of spec.managed ?? []) {
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: spec.name, PolicyArn: arn }));
  }
  for (const [name, document] of Object.entries(spec.inline ?? {})) {
    await clients.iam.send(
      new PutRolePolicyCommand({ RoleName: spec.name, PolicyName: name, PolicyDocument: JSON.stringify(document) }),
    );
  }
  return out.Role?.Arn ?? '';
};

/** Creates an instance profile, optionally holding a role; returns its ARN. */
export const createProfile = async (
  clients: SeedClients,
  name: string,
  roleName?: string,
  path = '/',
): Promise<string> => {
  const out = await clients.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Path: path }));
  if (roleName) {
    await clients.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
  }
  return out.InstanceProfile?.Arn ?? '';
};

/** Creates a customer-managed policy; returns its ARN. */
export const createPolicy = async (
  clients: SeedClients,
  name: string,
  document: Record<string, unknown>,
): Promise<string> => {
  const out = await clients.iam.send(
    new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(document) }),
  );
  return out.Policy?.Arn ?? '';
};

/** What a seeded compute environment looks like. */
export interface ComputeEnvironmentSpec {
  readonly name: string;
  readonly region?: string;
  readonly serviceRoleArn: string;
  readonly type: CRType | 'UNMANAGED';
  /** Instance profile name or ARN (EC2 and SPOT). */
  readonly instanceProfile?: string;
  readonly spotFleetRoleArn?: string;
  readonly allocationStrategy?:
    | 'BEST_FIT'
    | 'BEST_FIT_PROGRESSIVE'
    | 'SPOT_CAPACITY_OPTIMIZED'
    | 'SPOT_PRICE_CAPACITY_OPTIMIZED';
}

/** Creates a compute environment in moto's default VPC; returns its ARN. */
export const createComputeEnvironment = async (clients: SeedClients, spec: ComputeEnvironmentSpec): Promise<string> => {
  const region = spec.region ?? 'us-east-1';
  if (spec.type === 'UNMANAGED') {
    const out = await clients.batch(region).send(
      new CreateComputeEnvironmentCommand({
        computeEnvironmentName: spec.name,
        type: 'UNMANAGED',
        serviceRole: spec.serviceRoleArn,
      }),
    );
    return out.computeEnvironmentArn ?? '';
  }
  const ec2 = clients.ec2(region);
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const groups = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
  const onFargate = spec.type === 'FARGATE' || spec.type === 'FARGATE_SPOT';
  const out = await clients.batch(region).send(
    new CreateComputeEnvironmentCommand({
      computeEnvironmentName: spec.name,
      type: 'MANAGED',
      serviceRole: spec.serviceRoleArn,
      computeResources: {
        type: spec.type,
        maxvCpus: 16,
        subnets: subnets.slice(0, 1).map((s) => s.SubnetId ?? ''),
        securityGroupIds: groups.slice(0, 1).map((g) => g.GroupId ?? ''),
        ...(onFargate
          ? {}
          : {
              minvCpus: 0,
              instanceTypes: ['optimal'],
              ...(spec.instanceProfile ? { instanceRole: spec.instanceProfile } : {}),
              ...(spec.spotFleetRoleArn ? { spotIamFleetRole: spec.spotFleetRoleArn } : {}),
              ...(spec.allocationStrategy ? { allocationStrategy: spec.allocationStrategy } : {}),
            }),
      },
    }),
  );
  return out.computeEnvironmentArn ?? '';
};

/** The roles of a by-the-docs account: names are the usual ones; nothing beyond the documented policies. */
export const seedByTheDocs = async (
  clients: SeedClients,
  account = ACCOUNT,
): Promise<{ serviceRoleArn: string; instanceProfileArn: string; spotRoleArn: string }> => {
  const serviceRoleArn = await createRole(clients, {
    name: 'AWSBatchServiceRole',
    path: '/service-role/',
    trust: scopedBatchTrust(account),
    managed: [awsPolicy('service-role/AWSBatchServiceRole')],
  });
  await createRole(clients, {
    name: 'ecsInstanceRole',
    trust: trustFor('ec2.amazonaws.com'),
    managed: [awsPolicy('service-role/AmazonEC2ContainerServiceforEC2Role')],
  });
  const instanceProfileArn = await createProfile(clients, 'ecsInstanceRole', 'ecsInstanceRole');
  const spotRoleArn = await createRole(clients, {
    name: 'AmazonEC2SpotFleetTaggingRole',
    trust: trustFor('spotfleet.amazonaws.com'),
    managed: [awsPolicy('service-role/AmazonEC2SpotFleetTaggingRole')],
  });
  // The Spot service-linked roles the docs require while SPOT compute environments exist. moto lets
  // them be created as ordinary roles at the service-linked path; AWS would create them itself.
  await createRole(clients, {
    name: 'AWSServiceRoleForEC2Spot',
    path: '/aws-service-role/spot.amazonaws.com/',
    trust: trustFor('spot.amazonaws.com'),
  });
  await createRole(clients, {
    name: 'AWSServiceRoleForEC2SpotFleet',
    path: '/aws-service-role/spotfleet.amazonaws.com/',
    trust: trustFor('spotfleet.amazonaws.com'),
  });
  return { serviceRoleArn, instanceProfileArn, spotRoleArn };
};

/** A by-the-docs account (see {@link seedByTheDocs}) with one EC2 compute environment on `ecsInstanceRole`. */
export const seedOneComputeEnvironment = async (endpoint: string, name = 'nightly'): Promise<SeedClients> => {
  const clients = seedClients(endpoint);
  const { serviceRoleArn } = await seedByTheDocs(clients);
  await createComputeEnvironment(clients, { name, serviceRoleArn, type: 'EC2', instanceProfile: 'ecsInstanceRole' });
  return clients;
};
