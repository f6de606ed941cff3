import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { runAudit } from '../app/run-audit.js';
import { isTopicArn } from '../arns.js';
import type { AlertPublisher } from '../aws/sns-publisher.js';
import { AWS_DEFAULT_BASELINE } from '../domain/baseline.js';
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
  readonly createPorts: (options: { homeRegion: string; endpoint?: string | undefined }) => AuditPorts;
  readonly createPublisher: () => AlertPublisher;
}

export const USAGE = `Usage: batch-iam-drift audit [options]

Audits the IAM roles behind every AWS Batch compute environment in the given regions.

Options:
  --regions LIST       comma-separated regions (default: AWS_REGION or AWS_DEFAULT_REGION)
  --format text|json   output format (default: text)
  --output FILE        write the report to FILE instead of standard output
  --fail-on SEVERITY   exit 1 when a finding is at or above it: ${SEVERITIES.join('|')} (default: medium)
  --publish TOPIC_ARN  also publish the alert the Lambda would send (findings at or above --fail-on)
  --quiet              no progress messages on standard error
  -h, --help           show this help
  -v, --version        show the version

Credentials come from the standard AWS chain (AWS_PROFILE, environment, SSO, instance role);
AWS_ENDPOINT_URL points every client at another endpoint.
Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or configuration error, 3 audit incomplete.
`;

/** Parsed and validated `audit` options. */
export interface AuditArgs {
  readonly regions: string[];
  readonly format: 'text' | 'json';
  readonly output?: string | undefined;
  readonly failOn: Severity;
  readonly quiet: boolean;
  readonly publish?: string | undefined;
}

/** Parses the command line; throws ConfigError with a message a user can act on. */
export const parseCli = (
  argv: readonly string[],
  env: CliIo['env'],
): { command: 'help' } | { command: 'version' } | { command: 'audit'; args: AuditArgs } => {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        regions: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string' },
        'fail-on': { type: 'string' },
        publish: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}. Run batch-iam-drift --help for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new ConfigError('Missing command: batch-iam-drift audit [options]. Run --help.');
  if (command !== 'audit') throw new ConfigError(`Unknown command "${command}": the command is "audit".`);
  if (rest.length > 0) throw new ConfigError(`Unexpected argument "${rest[0]}".`);

  const regionList = values.regions ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!regionList) {
    throw new ConfigError('No region given: pass --regions us-east-1[,eu-west-1] or set AWS_REGION.');
  }
  const regions = parseRegionList(regionList, values.regions ? '--regions' : 'AWS_REGION');
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new ConfigError(`--format must be text or json, not "${format}".`);
  const failOn = values['fail-on'] ?? 'medium';
  if (!(SEVERITIES as readonly string[]).includes(failOn)) {
    throw new ConfigError(`--fail-on must be one of ${SEVERITIES.join(', ')}, not "${failOn}".`);
  }
  if (values.publish !== undefined && !isTopicArn(values.publish)) {
    throw new ConfigError(`--publish "${values.publish}" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME).`);
  }
  return {
    command: 'audit',
    args: {
      regions,
      format,
      output: values.output,
      failOn: failOn as Severity,
      quiet: values.quiet ?? false,
      publish: values.publish,
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

/** Runs the CLI and returns its exit code. Never calls process.exit, so tests can run it in-process. */
export const runCli = async (argv: readonly string[], io: CliIo, deps: CliDeps): Promise<number> => {
  let request: ReturnType<typeof parseCli>;
  try {
    request = parseCli(argv, io.env);
  } catch (error) {
    io.stderr.write(`batch-iam-drift: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  if (request.command === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (request.command === 'version') {
    io.stdout.write(`${TOOL.version}\n`);
    return EXIT.ok;
  }
  const { args } = request;
  const progress = args.quiet ? undefined : (message: string) => io.stderr.write(`${message}\n`);
  let report: Report;
  try {
    const ports = deps.createPorts({ homeRegion: args.regions[0] ?? 'us-east-1', endpoint: io.env.AWS_ENDPOINT_URL });
    report = await runAudit(ports, {
      regions: args.regions,
      baseline: AWS_DEFAULT_BASELINE,
      ...(progress ? { onProgress: progress } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`batch-iam-drift: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`batch-iam-drift: the audit could not finish: ${(error as Error).message}\n`);
    return EXIT.incomplete;
  }
  const colour = args.format === 'text' && !args.output && io.stdout.isTTY === true && !io.env.NO_COLOR;
  const text = args.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderText(report, palette(colour));
  if (args.output) {
    try {
      await writeFile(args.output, text);
    } catch (error) {
      io.stderr.write(`batch-iam-drift: cannot write ${args.output}: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
    progress?.(`Report written to ${args.output}`);
  } else {
    io.stdout.write(text);
  }
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
