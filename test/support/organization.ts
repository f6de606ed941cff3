import { BatchClient } from '@aws-sdk/client-batch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AttachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { awsPolicy, createComputeEnvironment, type SeedClients, seedByTheDocs } from './seed.js';

const REGION = 'us-east-1';
const MANAGEMENT = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The role assumed in member accounts. */
export const MEMBER_ROLE = 'batch-iam-drift-audit';

/** Seeding clients that act inside `account`, through a role assumed there (moto lands the calls in that account). */
export const clientsIn = async (endpoint: string, account: string): Promise<SeedClients> => {
  const sts = new STSClient({ region: REGION, endpoint, credentials: MANAGEMENT });
  const out = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${MEMBER_ROLE}`, RoleSessionName: 'seed' }),
  );
  const credentials = {
    accessKeyId: out.Credentials?.AccessKeyId ?? '',
    secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
    sessionToken: out.Credentials?.SessionToken ?? '',
  };
  return {
    iam: new IAMClient({ region: REGION, endpoint, credentials }),
    batch: (region) => new BatchClient({ region, endpoint, credentials }),
    ec2: (region) => new EC2Client({ region, endpoint, credentials }),
  };
};

/** A member account set up as documented, with one compute environment. */
const seedMember = async (endpoint: string, account: string): Promise<SeedClients> => {
  const clients = await clientsIn(endpoint, account);
  const seeded = await seedByTheDocs(clients, account);
  await createComputeEnvironment(clients, {
    name: 'genomics',
    serviceRoleArn: seeded.serviceRoleArn,
    type: 'EC2',
    instanceProfile: 'ecsInstanceRole',
  });
  return clients;
};

/**
 * An organisation in moto's management account with three members: `clean` (as documented),
 * `drifted` (AdministratorAccess on its instance role) and `noMemberRole` (nothing seeded; tests deny
 * AssumeRole into it, which moto itself does not check). Returns the member ids and the client.
 */
export const seedOrganization = async (endpoint: string) => {
  const organizations = new OrganizationsClient({ region: REGION, endpoint, credentials: MANAGEMENT });
  await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const ids: string[] = [];
  for (const name of ['clean', 'drifted', 'no-member-role']) {
    const out = await organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    ids.push(out.CreateAccountStatus?.AccountId ?? '');
  }
  const [clean = '', drifted = '', noMemberRole = ''] = ids;
  await seedMember(endpoint, clean);
  const drift = await seedMember(endpoint, drifted);
  await drift.iam.send(
    new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
  );
  return { organizations, clean, drifted, noMemberRole };
};
