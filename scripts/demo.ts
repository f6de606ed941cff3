// npm run demo: start a local moto server, seed a small account with realistic drift, audit it
// with the real CLI, print the report, and stop the server.
import { spawnSync } from 'node:child_process';
import { AttachRolePolicyCommand, DeleteRoleCommand } from '@aws-sdk/client-iam';
import { startMoto } from '../test/support/moto.js';
import {
  awsPolicy,
  createComputeEnvironment,
  createPolicy,
  createRole,
  seedByTheDocs,
  seedClients,
  trustFor,
} from '../test/support/seed.js';

// The SDK's notice that its 2027 releases need Node.js 22 is noise in a demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const say = (message: string): void => {
  process.stderr.write(`demo: ${message}\n`);
};

say('starting moto_server on a free loopback port');
const moto = await startMoto();
let exitCode = 0;
try {
  const clients = seedClients(moto.endpoint);
  say(`seeding a small account at ${moto.endpoint}`);
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

  say('running: batch-iam-drift audit --regions us-east-1,eu-west-1\n');
  const run = spawnSync(process.execPath, ['bin/batch-iam-drift.mjs', 'audit', '--regions', 'us-east-1,eu-west-1'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  say(`the audit exited with ${run.status} (1 means findings at or above --fail-on medium)`);
  exitCode = run.status === 1 ? 0 : 1;
} catch (error) {
  say(`failed: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await moto.stop();
  say(`stopped moto_server (pid ${moto.pid})`);
}
process.exitCode = exitCode;
