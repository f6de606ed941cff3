// npm run demo: start a local moto server, seed a small account with realistic drift, audit it
// with the real CLI, print the report, and stop the server.
import { spawnSync } from 'node:child_process';
import { seedDemoAccount } from '../test/support/demo-account.js';
import { startMoto } from '../test/support/moto.js';
import { seedClients } from '../test/support/seed.js';

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
  await seedDemoAccount(clients);

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
