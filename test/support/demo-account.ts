import { AttachRolePolicyCommand, DeleteRoleCommand } from '@aws-sdk/client-iam';
import {
  awsPolicy,
  createComputeEnvironment,
  createPolicy,
  createRole,
  type SeedClients,
  seedByTheDocs,
  trustFor,
} from './seed.js';

/**
 * The demo account: a by-the-docs set-up in us-east-1 and eu-west-1 with four realistic drifts
 * (AdministratorAccess on the instance role, a pass-any-role policy on the Spot Fleet role, a service
 * role that trusts another account and lost its policy, and a deleted role).
 */
export const seedDemoAccount = async (clients: SeedClients): Promise<void> => {
  const { serviceRoleArn, instanceProfileArn, spotRoleArn } = await seedByTheDocs(clients);

  await createComputeEnvironment(clients, {
    name: 'genomics-ondemand',
    serviceRoleArn,
    type: 'EC2',
    instanceProfile: 'ecsInstanceRole',
  });
  await createComputeEnvironment(clients, {
    name: 'genomics-spot',
    serviceRoleArn,
    type: 'SPOT',
    instanceProfile: instanceProfileArn,
    spotFleetRoleArn: spotRoleArn,
  });
  // Drift 1: someone "fixed" a permissions problem by attaching AdministratorAccess to the instance role.
  await clients.iam.send(
    new AttachRolePolicyCommand({
      RoleName: 'ecsInstanceRole',
      PolicyArn: awsPolicy('AdministratorAccess'),
    }),
  );
  // Drift 2: a customer-managed policy on the Spot Fleet role passes any role to anything.
  const passAny = await createPolicy(clients, 'spot-pass-any-role', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iam:Pass*', Resource: '*' }],
  });
  await clients.iam.send(
    new AttachRolePolicyCommand({
      RoleName: 'AmazonEC2SpotFleetTaggingRole',
      PolicyArn: passAny,
    }),
  );
  // Drift 3: a second team's service role in eu-west-1 trusts another account and lost its managed policy.
  const etlRole = await createRole(clients, {
    name: 'etl-batch-service',
    path: '/teams/etl/',
    trust: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' },
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'sts:AssumeRole' },
      ],
    },
    inline: {
      'read-reference-data': {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }],
      },
    },
  });
  await createComputeEnvironment(clients, {
    name: 'etl-fargate',
    region: 'eu-west-1',
    serviceRoleArn: etlRole,
    type: 'FARGATE',
  });
  // Drift 4: the role behind an unmanaged compute environment was deleted.
  const scratch = await createRole(clients, { name: 'scratch-batch-service', trust: trustFor('batch.amazonaws.com') });
  await createComputeEnvironment(clients, {
    name: 'scratch-unmanaged',
    region: 'eu-west-1',
    serviceRoleArn: scratch,
    type: 'UNMANAGED',
  });
  await clients.iam.send(new DeleteRoleCommand({ RoleName: 'scratch-batch-service' }));
};
