import { AWS_CLI_DEPS } from '../aws/cli-deps.js';
import { runCli } from './main.js';

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  AWS_CLI_DEPS,
);
