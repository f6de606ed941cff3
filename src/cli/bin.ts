import { AWS_CLI_DEPS } from '../aws/cli-deps.js';
import { runCli } from './main.js';

// The SDK prints, on every run under Node.js 20, that its 2027 releases need Node.js 22; the bundled
// CLI is built with the SDK of its release, so the notice is noise here (README says how to see it).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  AWS_CLI_DEPS,
);
