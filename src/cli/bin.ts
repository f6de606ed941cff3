import { createSnsClient } from '../aws/clients.js';
import { createAwsPorts } from '../aws/ports.js';
import { createSnsPublisher } from '../aws/sns-publisher.js';
import { runCli } from './main.js';

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  { createPorts: createAwsPorts, createPublisher: () => createSnsPublisher(createSnsClient) },
);
