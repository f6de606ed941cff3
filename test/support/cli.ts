import { AWS_CLI_DEPS } from '../../src/aws/cli-deps.js';
import { runCli } from '../../src/cli/main.js';

/** The CLI's real AWS adapters (pointed at moto by AWS_ENDPOINT_URL in the integration tests). */
export const AWS_DEPS = AWS_CLI_DEPS;

/** Runs the CLI in-process with the real adapters and the process environment; returns its exit code and output. */
export const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: process.env },
    AWS_DEPS,
  );
  return { code, out: out.join(''), err: err.join('') };
};
