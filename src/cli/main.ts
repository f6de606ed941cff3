import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { collectState, runAudit } from '../app/run-audit.js';
import { isTopicArn } from '../arns.js';
import type { AlertPublisher } from '../aws/sns-publisher.js';
import { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts, secondsSetting } from '../aws/timeouts.js';
import { captureBaseline } from '../baseline/capture.js';
import { loadBaselineFile } from '../baseline/load.js';
import { parseBaselineText } from '../baseline/parse.js';
import { AWS_DEFAULT_BASELINE, type Baseline } from '../domain/baseline.js';
import { atOrAbove, SEVERITIES, type Severity } from '../domain/model.js';
import type { Report } from '../domain/report.js';
import { ConfigError } from '../errors.js';
import type { AuditPorts } from '../ports.js';
import { parseRegionList } from '../regions.js';
import { buildAlert } from '../render/alert.js';
import { NO_COLOUR, type Palette, renderText } from '../render/text.js';
import { TOOL } from '../version.js';

/** Process exit codes; documented in the README. */
export const EXIT = { ok: 0, findings: 1, usage: 2, incomplete: 3 } as const;

/** Where the CLI reads its environment and writes its output; tests pass their own. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Builds the AWS adapters; tests replace them with fakes. */
export interface CliDeps {
  readonly createPorts: (options: {
    homeRegion: string;
    endpoint?: string | undefined;
    timeouts?: HttpTimeouts | undefined;
  }) => AuditPorts;
  readonly createPublisher: () => AlertPublisher;
}

export const USAGE = `Usage:
  batch-iam-drift audit [--regions LIST] [--baseline FILE] [--format text|json] [--output FILE]
                        [--fail-on SEVERITY] [--publish TOPIC_ARN] [--quiet]
  batch-iam-drift baseline capture [--regions LIST] [--output FILE] [--quiet]
  batch-iam-drift baseline validate FILE

audit             audit the IAM roles behind every AWS Batch compute environment in the regions
baseline capture  record the live state of those roles as a baseline file to review and commit
baseline validate check a baseline file; every problem is reported with its line

Options:
  --regions LIST       comma-separated regions (default: AWS_REGION or AWS_DEFAULT_REGION)
  --baseline FILE      the team's baseline (YAML or JSON), laid over the built-in AWS defaults
  --format text|json   output format (default: text)
  --output FILE        write the report (or the captured baseline) to FILE instead of standard output
  --fail-on SEVERITY   exit 1 when a finding is at or above it: ${SEVERITIES.join('|')} (default: medium)
  --publish TOPIC_ARN  also publish the alert the Lambda would send (findings at or above --fail-on)
  --connect-timeout S  seconds to connect to an AWS endpoint (default: 3)
  --request-timeout S  seconds for one AWS request to answer; retried like any failure (default: 30)
  --quiet              no progress messages on standard error
  --debug              on an unexpected error, print its stack trace
  -h, --help           show this help
  -v, --version        show the version

Credentials come from the standard AWS chain (AWS_PROFILE, environment, SSO, instance role);
AWS_ENDPOINT_URL points every client at another endpoint.
Exit codes: 0 no finding at or above --fail-on (or a valid baseline), 1 findings, 2 usage or
configuration error (an invalid baseline included), the AWS identity could not be established, or an
unexpected error; 3 audit incomplete (something could not be read).
`;

/** Parsed and validated `audit` options. */
export interface AuditArgs {
  readonly regions: string[];
  readonly baseline?: string | undefined;
  readonly format: 'text' | 'json';
  readonly output?: string | undefined;
  readonly failOn: Severity;
  readonly quiet: boolean;
  readonly publish?: string | undefined;
  readonly timeouts: HttpTimeouts;
}

/** What the command line asks for. */
export type CliRequest =
  | { readonly command: 'help' }
  | { readonly command: 'version' }
  | { readonly command: 'audit'; readonly args: AuditArgs }
  | {
      readonly command: 'baseline capture';
      readonly regions: string[];
      readonly output?: string;
      readonly quiet: boolean;
      readonly timeouts: HttpTimeouts;
    }
  | { readonly command: 'baseline validate'; readonly file: string };

const OPTIONS = {
  regions: { type: 'string' },
  baseline: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  'fail-on': { type: 'string' },
  publish: { type: 'string' },
  quiet: { type: 'boolean' },
  debug: { type: 'boolean' },
  'connect-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const ALLOWED: Record<'audit' | 'baseline capture' | 'baseline validate', readonly string[]> = {
  audit: [
    'regions',
    'baseline',
    'format',
    'output',
    'fail-on',
    'publish',
    'quiet',
    'connect-timeout',
    'request-timeout',
    'debug',
  ],
  'baseline capture': ['regions', 'output', 'quiet', 'connect-timeout', 'request-timeout', 'debug'],
  'baseline validate': ['debug'],
};

/** Parses the command line; throws ConfigError with a message a user can act on. */
export const parseCli = (argv: readonly string[], env: CliIo['env']): CliRequest => {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}. Run batch-iam-drift --help for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [first, second, ...rest] = positionals;
  if (first === undefined)
    throw new ConfigError('Missing command: audit, baseline capture or baseline validate. Run --help.');
  let command: keyof typeof ALLOWED;
  let extra: string[];
  if (first === 'audit') {
    command = 'audit';
    extra = second === undefined ? [] : [second, ...rest];
  } else if (first === 'baseline' && (second === 'capture' || second === 'validate')) {
    command = `baseline ${second}`;
    extra = rest;
  } else if (first === 'baseline') {
    throw new ConfigError(
      `"baseline" takes "capture" or "validate", not ${second === undefined ? 'nothing' : `"${second}"`}.`,
    );
  } else {
    throw new ConfigError(
      `Unknown command "${first}": the commands are audit, baseline capture and baseline validate.`,
    );
  }
  const misplaced = Object.keys(values).find((key) => !ALLOWED[command].includes(key));
  if (misplaced) throw new ConfigError(`--${misplaced} is not an option of ${command}.`);

  if (command === 'baseline validate') {
    if (extra.length !== 1)
      throw new ConfigError('baseline validate takes one file: batch-iam-drift baseline validate FILE');
    return { command, file: extra[0] as string };
  }
  if (extra.length > 0) throw new ConfigError(`Unexpected argument "${extra[0]}".`);

  const regionList = (values.regions as string | undefined) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!regionList) throw new ConfigError('No region given: pass --regions us-east-1[,eu-west-1] or set AWS_REGION.');
  const regions = parseRegionList(regionList, values.regions ? '--regions' : 'AWS_REGION');
  const output = values.output as string | undefined;
  const quiet = values.quiet === true;
  const seconds = (name: string, fallbackMs: number): number =>
    secondsSetting(`--${name}`, values[name] as string | undefined, fallbackMs);
  const timeouts: HttpTimeouts = {
    connectMs: seconds('connect-timeout', DEFAULT_HTTP_TIMEOUTS.connectMs),
    requestMs: seconds('request-timeout', DEFAULT_HTTP_TIMEOUTS.requestMs),
  };
  if (command === 'baseline capture') return { command, regions, ...(output ? { output } : {}), quiet, timeouts };

  const format = (values.format as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new ConfigError(`--format must be text or json, not "${format}".`);
  const failOn = (values['fail-on'] as string | undefined) ?? 'medium';
  if (!(SEVERITIES as readonly string[]).includes(failOn)) {
    throw new ConfigError(`--fail-on must be one of ${SEVERITIES.join(', ')}, not "${failOn}".`);
  }
  const publish = values.publish as string | undefined;
  if (publish !== undefined && !isTopicArn(publish)) {
    throw new ConfigError(`--publish "${publish}" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME).`);
  }
  return {
    command,
    args: {
      regions,
      baseline: values.baseline as string | undefined,
      format,
      output,
      failOn: failOn as Severity,
      quiet,
      publish,
      timeouts,
    },
  };
};

/** The exit code for a finished audit: incomplete wins over findings, since findings are then a lower bound. */
export const exitCodeFor = (report: Report, failOn: Severity): number => {
  if (!report.complete) return EXIT.incomplete;
  return report.findings.some((f) => atOrAbove(f.severity, failOn)) ? EXIT.findings : EXIT.ok;
};

const palette = (enabled: boolean): Palette => {
  if (!enabled) return NO_COLOUR;
  const c = pc.createColors(true);
  return { bold: c.bold, dim: c.dim, red: c.red, yellow: c.yellow, cyan: c.cyan, magenta: c.magenta, green: c.green };
};

const emit = async (io: CliIo, text: string, output: string | undefined, progress?: (m: string) => void) => {
  if (!output) {
    io.stdout.write(text);
    return;
  }
  try {
    await writeFile(output, text);
  } catch (error) {
    throw new ConfigError(`Cannot write ${output}: ${(error as Error).message}`, { cause: error });
  }
  progress?.(`Written to ${output}`);
};

const audit = async (args: AuditArgs, io: CliIo, deps: CliDeps): Promise<number> => {
  const progress = args.quiet ? undefined : (message: string) => io.stderr.write(`${message}\n`);
  const baseline: Baseline = args.baseline ? await loadBaselineFile(args.baseline) : AWS_DEFAULT_BASELINE;
  let report: Report;
  try {
    const ports = deps.createPorts({
      homeRegion: args.regions[0] ?? 'us-east-1',
      endpoint: io.env.AWS_ENDPOINT_URL,
      timeouts: args.timeouts,
    });
    report = await runAudit(ports, { regions: args.regions, baseline, ...(progress ? { onProgress: progress } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    io.stderr.write(`batch-iam-drift: the audit could not finish: ${(error as Error).message}\n`);
    return EXIT.incomplete;
  }
  const colour = args.format === 'text' && !args.output && io.stdout.isTTY === true && !io.env.NO_COLOR;
  const text = args.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderText(report, palette(colour));
  await emit(io, text, args.output, progress);
  if (args.publish) {
    try {
      const messageId = await deps
        .createPublisher()
        .publish(args.publish, buildAlert(report, { minSeverity: args.failOn }));
      progress?.(`Alert published to ${args.publish} (message ${messageId})`);
    } catch (error) {
      io.stderr.write(`batch-iam-drift: could not publish to ${args.publish}: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
  }
  return exitCodeFor(report, args.failOn);
};

const capture = async (
  request: Extract<CliRequest, { command: 'baseline capture' }>,
  io: CliIo,
  deps: CliDeps,
): Promise<number> => {
  const progress = request.quiet ? undefined : (message: string) => io.stderr.write(`${message}\n`);
  const ports = deps.createPorts({
    homeRegion: request.regions[0] ?? 'us-east-1',
    endpoint: io.env.AWS_ENDPOINT_URL,
    timeouts: request.timeouts,
  });
  const state = await collectState(ports, {
    regions: request.regions,
    baseline: AWS_DEFAULT_BASELINE,
    ...(progress ? { onProgress: progress } : {}),
  });
  if (state.errors.length > 0) {
    io.stderr.write(
      `batch-iam-drift: the capture is incomplete, so nothing was written (a partial baseline would hide drift):\n${state.errors
        .map((e) => `  ${e.operation} ${e.resource.type} ${e.resource.name}: ${e.code}: ${e.message}`)
        .join('\n')}\n`,
    );
    return EXIT.incomplete;
  }
  const result = captureBaseline(state, AWS_DEFAULT_BASELINE, new Date());
  await emit(io, result.yaml, request.output, progress);
  if (result.review.length > 0) {
    progress?.(
      `Review before committing: the capture accepts ${result.review.length} findings against the AWS defaults (listed at the top of the file).`,
    );
  }
  if (result.notCaptured.length > 0) {
    progress?.(`Not captured, still reported: ${result.notCaptured.join(', ')}`);
  }
  return EXIT.ok;
};

const validate = async (file: string, io: CliIo): Promise<number> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the baseline ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = parseBaselineText(text, file);
  io.stdout.write(
    `${file}: valid baseline (${parsed.roles?.length ?? 0} roles, ${parsed.waivers?.length ?? 0} waivers${parsed.account ? `, account ${parsed.account}` : ''})\n`,
  );
  return EXIT.ok;
};

/** Runs the CLI and returns its exit code. Never calls process.exit, so tests can run it in-process. */
export const runCli = async (argv: readonly string[], io: CliIo, deps: CliDeps): Promise<number> => {
  try {
    const request = parseCli(argv, io.env);
    switch (request.command) {
      case 'help':
        io.stdout.write(USAGE);
        return EXIT.ok;
      case 'version':
        io.stdout.write(`${TOOL.version}\n`);
        return EXIT.ok;
      case 'audit':
        return await audit(request.args, io, deps);
      case 'baseline capture':
        return await capture(request, io, deps);
      case 'baseline validate':
        return await validate(request.file, io);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`batch-iam-drift: ${error.message}\n`);
      return EXIT.usage;
    }
    // Never exit 1 (which means findings) for a bug or an unforeseen failure: one line, the stack on --debug.
    const e = error as { name?: string; message?: string; stack?: string };
    io.stderr.write(
      `batch-iam-drift: unexpected error: ${e.name ?? 'Error'}: ${(e.message ?? String(error)).split('\n')[0]}${argv.includes('--debug') ? '' : ' (run again with --debug for the stack trace)'}\n`,
    );
    if (argv.includes('--debug') && e.stack) io.stderr.write(`${e.stack}\n`);
    return EXIT.usage;
  }
};
