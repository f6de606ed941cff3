import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { RULE_SUMMARIES } from '../../generated/rules.js';
import { commitLifecycle, idsOf, newRunId, trackFindings } from '../app/lifecycle.js';
import { collectState, runAudit } from '../app/run-audit.js';
import { DEFAULT_ACCOUNT_CONCURRENCY, DEFAULT_MEMBER_ROLE, runOrganization } from '../app/run-organization.js';
import { isTopicArn } from '../arns.js';
import type { AssumeRoleOptions } from '../aws/credentials.js';
import { IAM_READ_STRATEGIES, type IamReadStrategy } from '../aws/iam-bulk-reader.js';
import type { AlertPublisher } from '../aws/sns-publisher.js';
import { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts, secondsSetting } from '../aws/timeouts.js';
import { captureBaseline } from '../baseline/capture.js';
import { loadBaselineFile } from '../baseline/load.js';
import { parseBaselineText } from '../baseline/parse.js';
import { AWS_DEFAULT_BASELINE, type Baseline } from '../domain/baseline.js';
import { announce, type FindingStatus, filterStates } from '../domain/lifecycle.js';
import { atOrAbove, SEVERITIES, type Severity } from '../domain/model.js';
import type { OrganizationReport, Report } from '../domain/report.js';
import { ConfigError } from '../errors.js';
import type { AuditPorts, CredentialProvider, FindingStateStore, OrganizationDirectory } from '../ports.js';
import { parseRegionList } from '../regions.js';
import { buildAlert, buildChangesAlert } from '../render/alert.js';
import { renderCsv } from '../render/csv.js';
import { renderHtml } from '../render/html.js';
import { renderOcsf } from '../render/ocsf.js';
import { NO_COLOUR, type Palette, renderOrganizationText, renderStates, renderText } from '../render/text.js';
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
    credentials?: CredentialProvider | undefined;
    profile?: string | undefined;
    iamReads?: IamReadStrategy | undefined;
    onNote?: ((note: string) => void) | undefined;
    requestLog?: ((line: string) => void) | undefined;
  }) => AuditPorts;
  readonly createPublisher: (credentials?: CredentialProvider) => AlertPublisher;
  /** The organisation's account directory, for `--accounts all`. */
  readonly createDirectory: (options: {
    homeRegion: string;
    timeouts: HttpTimeouts;
    credentials?: CredentialProvider | undefined;
  }) => OrganizationDirectory;
  /** Credentials of a named profile, and of a role assumed with STS (tests replace them). */
  readonly credentials: {
    readonly profile: (name: string) => CredentialProvider;
    readonly assumeRole: (options: AssumeRoleOptions) => CredentialProvider;
    readonly profileRegion: (name: string) => Promise<string | undefined>;
  };
  /** The finding state table of `--state-table`. */
  readonly createStateStore: (options: {
    table: string;
    homeRegion: string;
    timeouts: HttpTimeouts;
    credentials?: CredentialProvider | undefined;
  }) => FindingStateStore;
}

export const USAGE = `Usage:
  batch-iam-drift audit [--regions LIST|all] [--baseline FILE] [--format FORMAT[,FORMAT]]
                        [--output FILE | --output-dir DIR]
                        [--fail-on SEVERITY] [--publish TOPIC_ARN] [--quiet]
                        [--profile NAME] [--role-arn ARN [--external-id ID]] [--iam-reads MODE]
                        [--accounts LIST|all [--ou OU_ID] [--exclude-accounts LIST] [--role-name NAME]
                         [--concurrency N]]
  batch-iam-drift baseline capture [--regions LIST|all] [--output FILE] [--quiet] [--profile NAME]
                        [--role-arn ARN [--external-id ID]]
  batch-iam-drift baseline validate FILE
  batch-iam-drift findings --state-table NAME [--status open|resolved|waived] [--since DATE]
                        [--format text|json] [--regions REGION] [--profile NAME] [--role-arn ARN]
  batch-iam-drift --list-rules [--format json]

audit             audit the IAM roles behind every AWS Batch compute environment in the regions
baseline capture  record the live state of those roles as a baseline file to review and commit
baseline validate check a baseline file; every problem is reported with its line
findings          list the findings kept in a state table (the caller's account), with their status

Options:
  --regions LIST|all   comma-separated regions, or all: every region enabled in the account; may
                       repeat (default: AWS_REGION, AWS_DEFAULT_REGION, or the profile's region)
  --profile NAME       credentials and default region of that profile (default: AWS_PROFILE)
  --role-arn ARN       audit the account of that role, assumed with STS
  --external-id ID     the external id the role's trust policy asks for
  --accounts LIST|all  audit these accounts (comma-separated ids), or all ACTIVE accounts of the
                       organisation (from the management or a delegated administrator account);
                       each is entered by assuming --role-name in it, the caller's own account
                       with the caller's credentials. The report becomes an organisation report.
  --ou OU_ID           with --accounts all: only that organisational unit and its children
  --exclude-accounts LIST  accounts to leave out
  --role-name NAME     the role assumed in each account (default: ${DEFAULT_MEMBER_ROLE})
  --concurrency N      accounts audited at once (default: ${DEFAULT_ACCOUNT_CONCURRENCY})
  --iam-reads MODE     auto (default): bulk (GetAccountAuthorizationDetails) or per-role reads,
                       whichever the account's size makes cheaper; bulk or per-role force one
  --baseline FILE      the team's baseline (YAML or JSON), laid over the built-in AWS defaults
  --format FORMAT      text (default), json (the report), html (one self-contained page with the
                       blast-radius graph), csv (a row per finding) or ocsf (OCSF Detection
                       Findings); several, comma-separated, with --output-dir
  --output-dir DIR     write each format to DIR/report.txt, report.json, report.html, report.csv,
                       report.ocsf.json (created when missing)
  --output FILE        write the report (or the captured baseline) to FILE instead of standard output
  --fail-on SEVERITY   exit 1 when a finding is at or above it: ${SEVERITIES.join('|')} (default: medium)
  --severity SEVERITY  list only findings at or above it in the text output (the others are counted;
                       the JSON report and the exit code are unchanged)
  --publish TOPIC_ARN  also publish the alert the Lambda would send (findings at or above --fail-on;
                       with --state-table, only what changed, as ALERT_MODE=changes does)
  --state-table NAME   keep each finding's lifecycle in this DynamoDB table (the Lambda's): findings
                       get status new or ongoing and first seen; fixed ones are resolved. In the
                       region of --regions' first region (or AWS_REGION)
  --status STATUS      findings: only open, resolved or waived ones
  --since DATE         findings: only those whose status changed on or after DATE (YYYY-MM-DD or ISO)
  --connect-timeout S  seconds to connect to an AWS endpoint (default: 3)
  --request-timeout S  seconds for one AWS request to answer; retried like any failure (default: 30)
  --quiet              no progress messages on standard error
  --list-rules         list every rule with its severities and what it detects (docs/rules.md has
                       the rest); --format json for a machine-readable list
  --debug              on an unexpected error, print its stack trace, and log every AWS request
                       (service, operation, HTTP status, attempts) on standard error
  -h, --help           show this help
  -v, --version        show the version

Credentials come from --profile, or else the standard AWS chain (AWS_PROFILE, environment, SSO,
instance role); AWS_ENDPOINT_URL points every client at another endpoint.
Exit codes: 0 no finding at or above --fail-on (or a valid baseline), 1 findings, 2 usage or
configuration error (an invalid baseline included), the AWS identity could not be established, or an
unexpected error; 3 audit incomplete (something could not be read).
`;

/** Whose credentials the run uses: a profile, and a role to assume with them. */
export interface CredentialArgs {
  readonly profile?: string | undefined;
  readonly roleArn?: string | undefined;
  readonly externalId?: string | undefined;
}

/** Which accounts an organisation run audits (`--accounts`). */
export interface AccountArgs {
  readonly accounts: string[] | 'all';
  readonly ou?: string | undefined;
  readonly exclude: string[];
  readonly roleName: string;
  readonly concurrency: number;
}

/** `batch-iam-drift audit --help`. */
export const AUDIT_HELP = `Usage: batch-iam-drift audit [options]

Audits the IAM roles behind every AWS Batch compute environment (and job definition and EventBridge
rule) in the regions, and reports each drift once with its severity, blast radius and fix.

Options: --regions, --baseline, --format, --output, --output-dir, --fail-on, --severity, --publish, --profile,
--role-arn, --external-id, --accounts, --ou, --exclude-accounts, --role-name, --concurrency,
--iam-reads, --state-table, --connect-timeout, --request-timeout, --quiet, --debug
(batch-iam-drift --help explains each).

Examples:
  batch-iam-drift audit --regions us-east-1,eu-west-1
  batch-iam-drift audit --regions all --baseline infra/baseline.yaml --fail-on high
  batch-iam-drift audit --profile prod --format json --output report.json
  batch-iam-drift audit --format json,html,csv --output-dir reports/   # open reports/report.html
  batch-iam-drift audit --severity high                # list high and critical only; exit code unchanged
  batch-iam-drift audit --accounts all --regions all --format json --output org-report.json
  batch-iam-drift audit --state-table batch-iam-drift-prod-FindingStateTable-ABC  # new/ongoing/resolved
`;

/** \`batch-iam-drift findings --help\`. */
export const FINDINGS_HELP = `Usage: batch-iam-drift findings --state-table NAME [--status open|resolved|waived] [--since DATE]
                                [--format text|json] [--output FILE] [--regions REGION] [--profile NAME]

Lists the findings the state table keeps for the caller's account: status, severity, rule, resource,
first and last seen, and when and by which run the status last changed.

Examples:
  batch-iam-drift findings --state-table batch-iam-drift-findings --status open
  batch-iam-drift findings --state-table batch-iam-drift-findings --status resolved --since 2026-11-01
`;

/** `batch-iam-drift baseline --help`. */
export const BASELINE_HELP = `Usage: batch-iam-drift baseline capture [--regions LIST|all] [--output FILE] [--profile NAME]
       batch-iam-drift baseline validate FILE

capture   records the live state of the roles the audit reads as a baseline file: review it (its
          header lists what it accepts against the AWS defaults) and commit it
validate  checks a baseline file; every problem is reported with its line

Examples:
  batch-iam-drift baseline capture --regions us-east-1,eu-west-1 --output infra/baseline.yaml
  batch-iam-drift baseline validate infra/baseline.yaml
  batch-iam-drift audit --regions us-east-1,eu-west-1 --baseline infra/baseline.yaml
`;

/** The report formats `--format` takes. */
export const REPORT_FORMATS = ['text', 'json', 'html', 'csv', 'ocsf'] as const;

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The file each format is written to in `--output-dir`. */
export const FORMAT_FILES: Readonly<Record<ReportFormat, string>> = {
  text: 'report.txt',
  json: 'report.json',
  html: 'report.html',
  csv: 'report.csv',
  ocsf: 'report.ocsf.json',
};

/** Parsed and validated `audit` options. */
export interface AuditArgs {
  /** The regions, `all`, or undefined: the profile's region, looked up before the run. */
  readonly regions: string[] | 'all' | undefined;
  readonly credentials: CredentialArgs;
  readonly iamReads: IamReadStrategy;
  readonly organization?: AccountArgs | undefined;
  readonly baseline?: string | undefined;
  /** One format, or several with `outputDir`. */
  readonly formats: readonly ReportFormat[];
  readonly output?: string | undefined;
  /** With several formats: the directory the files go to (`report.json`, `report.html`, ...). */
  readonly outputDir?: string | undefined;
  readonly failOn: Severity;
  /** Text output lists only findings at or above this. */
  readonly showFrom?: Severity | undefined;
  readonly quiet: boolean;
  readonly publish?: string | undefined;
  readonly timeouts: HttpTimeouts;
  /** The DynamoDB table that keeps the finding lifecycle. */
  readonly stateTable?: string | undefined;
  /** `--debug`: log every AWS request on standard error. */
  readonly debug?: boolean;
}

/** What the command line asks for. */
export type CliRequest =
  | { readonly command: 'help'; readonly text: string }
  | { readonly command: 'version' }
  | { readonly command: 'list-rules'; readonly format: 'text' | 'json' }
  | { readonly command: 'audit'; readonly args: AuditArgs }
  | {
      readonly command: 'baseline capture';
      readonly regions: string[] | 'all' | undefined;
      readonly credentials: CredentialArgs;
      readonly iamReads: IamReadStrategy;
      readonly output?: string;
      readonly quiet: boolean;
      readonly timeouts: HttpTimeouts;
    }
  | { readonly command: 'baseline validate'; readonly file: string }
  | {
      readonly command: 'findings';
      readonly table: string;
      readonly status?: FindingStatus | undefined;
      readonly since?: string | undefined;
      readonly format: 'text' | 'json';
      readonly output?: string | undefined;
      readonly regions: string[] | 'all' | undefined;
      readonly credentials: CredentialArgs;
      readonly timeouts: HttpTimeouts;
    };

const OPTIONS = {
  regions: { type: 'string', multiple: true },
  profile: { type: 'string' },
  'role-arn': { type: 'string' },
  'external-id': { type: 'string' },
  accounts: { type: 'string' },
  ou: { type: 'string' },
  'exclude-accounts': { type: 'string' },
  'role-name': { type: 'string' },
  concurrency: { type: 'string' },
  'iam-reads': { type: 'string' },
  baseline: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  'fail-on': { type: 'string' },
  severity: { type: 'string' },
  publish: { type: 'string' },
  'state-table': { type: 'string' },
  'output-dir': { type: 'string' },
  status: { type: 'string' },
  since: { type: 'string' },
  quiet: { type: 'boolean' },
  debug: { type: 'boolean' },
  'connect-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  'list-rules': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const ALLOWED: Record<'audit' | 'baseline capture' | 'baseline validate' | 'findings', readonly string[]> = {
  audit: [
    'regions',
    'baseline',
    'format',
    'output',
    'fail-on',
    'severity',
    'publish',
    'quiet',
    'connect-timeout',
    'request-timeout',
    'debug',
    'profile',
    'role-arn',
    'external-id',
    'accounts',
    'ou',
    'exclude-accounts',
    'role-name',
    'concurrency',
    'iam-reads',
    'state-table',
    'output-dir',
  ],
  findings: [
    'state-table',
    'status',
    'since',
    'format',
    'output',
    'regions',
    'profile',
    'role-arn',
    'external-id',
    'quiet',
    'debug',
    'connect-timeout',
    'request-timeout',
  ],
  'baseline capture': [
    'regions',
    'output',
    'quiet',
    'connect-timeout',
    'request-timeout',
    'debug',
    'profile',
    'role-arn',
    'external-id',
  ],
  'baseline validate': ['debug'],
};

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** `--profile`, `--role-arn`, `--external-id`, checked. */
const credentialArgs = (values: Record<string, unknown>, env: CliIo['env']): CredentialArgs => {
  const profile = (values.profile as string | undefined) ?? (env.AWS_PROFILE || undefined);
  const roleArn = values['role-arn'] as string | undefined;
  const externalId = values['external-id'] as string | undefined;
  if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) {
    throw new ConfigError(`--role-arn "${roleArn}" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME).`);
  }
  if (externalId !== undefined && roleArn === undefined && values.accounts === undefined) {
    throw new ConfigError('--external-id goes with --role-arn or --accounts: it is sent when assuming a role.');
  }
  return { profile, roleArn, externalId };
};

/** The regions from every `--regions` (they add up), else the environment; `all` stands alone. */
const regionArgs = (
  given: readonly string[] | undefined,
  env: CliIo['env'],
  profile: string | undefined,
): string[] | 'all' | undefined => {
  if (given?.some((g) => g.trim() === 'all')) {
    if (given.length > 1 || given[0]?.trim() !== 'all') {
      throw new ConfigError('--regions all means every enabled region: do not combine it with region names.');
    }
    return 'all';
  }
  if (given && given.length > 0) return parseRegionList(given.join(','), '--regions');
  const fromEnv = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (fromEnv) return parseRegionList(fromEnv, 'AWS_REGION');
  if (profile) return undefined;
  throw new ConfigError('No region given: pass --regions us-east-1[,eu-west-1] (or all), or set AWS_REGION.');
};

const idList = (text: string, option: string): string[] => {
  const ids = [
    ...new Set(
      text
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    ),
  ];
  const bad = ids.find((id) => !ACCOUNT_ID.test(id));
  if (bad !== undefined) throw new ConfigError(`${option}: "${bad}" is not an AWS account id (12 digits).`);
  if (ids.length === 0) throw new ConfigError(`${option} is empty: name at least one account id, or all.`);
  return ids;
};

/** `--accounts` and the options that only make sense with it. */
const accountArgs = (values: Record<string, unknown>, credentials: CredentialArgs): AccountArgs | undefined => {
  const accounts = values.accounts as string | undefined;
  if (accounts === undefined) {
    const stray = ['ou', 'exclude-accounts', 'role-name', 'concurrency'].find((o) => values[o] !== undefined);
    if (stray) throw new ConfigError(`--${stray} goes with --accounts.`);
    return undefined;
  }
  if (credentials.roleArn) {
    throw new ConfigError(
      '--role-arn audits one account; with --accounts use --role-name for the role in each account.',
    );
  }
  const ou = values.ou as string | undefined;
  if (ou !== undefined && accounts.trim() !== 'all') throw new ConfigError('--ou goes with --accounts all.');
  if (ou !== undefined && !/^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/.test(ou)) {
    throw new ConfigError(`--ou "${ou}" is not an organisational unit id (ou-xxxx-yyyyyyyy) or root id (r-xxxx).`);
  }
  const concurrencyText = values.concurrency as string | undefined;
  const concurrency = concurrencyText === undefined ? DEFAULT_ACCOUNT_CONCURRENCY : Number(concurrencyText);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new ConfigError(`--concurrency must be a whole number from 1 to 64, not "${concurrencyText}".`);
  }
  const roleName = (values['role-name'] as string | undefined) ?? DEFAULT_MEMBER_ROLE;
  if (!/^[\w+=,.@-]+(\/[\w+=,.@-]+)*$/.test(roleName)) {
    throw new ConfigError(`--role-name "${roleName}" is not an IAM role name (or path/name).`);
  }
  const exclude = values['exclude-accounts'] as string | undefined;
  return {
    accounts: accounts.trim() === 'all' ? 'all' : idList(accounts, '--accounts'),
    ou,
    exclude: exclude === undefined ? [] : idList(exclude, '--exclude-accounts'),
    roleName,
    concurrency,
  };
};

/** Edit distance between two option names (insertions, deletions, substitutions). */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
};

/** Node's parser messages, in words a user acts on: the closest known option for an unknown one. */
const parseErrorMessage = (error: Error & { code?: string }): string => {
  const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec(error.message);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const given = unknown[2] ?? '';
    const [closest] = Object.keys(OPTIONS)
      .map((name) => ({ name, d: distance(given, name) }))
      .sort((a, b) => a.d - b.d);
    const hint =
      closest && closest.d <= Math.max(2, Math.floor(given.length / 3)) ? ` Did you mean --${closest.name}?` : '';
    return `Unknown option ${unknown[1]}${given}.${hint} Run batch-iam-drift --help for the options.`;
  }
  const missingValue = /^Option '(?:-\w, )?--([\w-]+) <value>' argument missing/.exec(error.message);
  if (missingValue) return `--${missingValue[1]} needs a value. Run batch-iam-drift --help for the options.`;
  return `${error.message}. Run batch-iam-drift --help for the options.`;
};

/** Parses the command line; throws ConfigError with a message a user can act on. */
export const parseCli = (argv: readonly string[], env: CliIo['env']): CliRequest => {
  let parsed: { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw new ConfigError(parseErrorMessage(error as Error & { code?: string }));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    const [topic] = positionals;
    return {
      command: 'help',
      text:
        topic === 'audit'
          ? AUDIT_HELP
          : topic === 'baseline'
            ? BASELINE_HELP
            : topic === 'findings'
              ? FINDINGS_HELP
              : USAGE,
    };
  }
  if (values.version) return { command: 'version' };
  if (values['list-rules']) {
    const format = (values.format as string | undefined) ?? 'text';
    if (format !== 'text' && format !== 'json')
      throw new ConfigError(`--list-rules --format must be text or json, not "${format}".`);
    return { command: 'list-rules', format };
  }
  const [first, second, ...rest] = positionals;
  if (first === undefined)
    throw new ConfigError('Missing command: audit, baseline capture, baseline validate or findings. Run --help.');
  let command: keyof typeof ALLOWED;
  let extra: string[];
  if (first === 'audit' || first === 'findings') {
    command = first;
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
      `Unknown command "${first}": the commands are audit, baseline capture, baseline validate and findings.`,
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

  const credentials = credentialArgs(values, env);
  const regions = regionArgs(values.regions as string[] | undefined, env, credentials.profile);
  const iamReads = (values['iam-reads'] as string | undefined) ?? 'auto';
  if (!(IAM_READ_STRATEGIES as readonly string[]).includes(iamReads)) {
    throw new ConfigError(`--iam-reads must be one of ${IAM_READ_STRATEGIES.join(', ')}, not "${iamReads}".`);
  }
  const output = values.output as string | undefined;
  const quiet = values.quiet === true;
  const seconds = (name: string, fallbackMs: number): number =>
    secondsSetting(`--${name}`, values[name] as string | undefined, fallbackMs);
  const timeouts: HttpTimeouts = {
    connectMs: seconds('connect-timeout', DEFAULT_HTTP_TIMEOUTS.connectMs),
    requestMs: seconds('request-timeout', DEFAULT_HTTP_TIMEOUTS.requestMs),
  };
  const formatText = (values.format as string | undefined) ?? 'text';
  const stateTable = values['state-table'] as string | undefined;
  if (stateTable !== undefined && !/^[a-zA-Z0-9_.-]{3,255}$/.test(stateTable)) {
    throw new ConfigError(
      `--state-table "${stateTable}" is not a DynamoDB table name (3 to 255 of a-z, A-Z, 0-9, _ - .).`,
    );
  }
  if (command === 'findings') {
    if (!stateTable)
      throw new ConfigError('findings needs --state-table NAME: the table the audits keep their findings in.');
    const status = values.status as string | undefined;
    if (status !== undefined && !['open', 'resolved', 'waived'].includes(status)) {
      throw new ConfigError(`--status must be open, resolved or waived, not "${status}".`);
    }
    const sinceText = values.since as string | undefined;
    let since: string | undefined;
    if (sinceText !== undefined) {
      const at = /^\d{4}-\d{2}-\d{2}$/.test(sinceText) ? new Date(`${sinceText}T00:00:00Z`) : new Date(sinceText);
      if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(sinceText)) {
        throw new ConfigError(`--since must be a date (YYYY-MM-DD) or an ISO 8601 time, not "${sinceText}".`);
      }
      since = at.toISOString();
    }
    if (formatText !== 'text' && formatText !== 'json')
      throw new ConfigError(`findings --format must be text or json, not "${formatText}".`);
    return {
      command,
      table: stateTable,
      status: status as FindingStatus | undefined,
      since,
      format: formatText,
      output,
      regions,
      credentials,
      timeouts,
    };
  }
  if (command === 'baseline capture')
    return {
      command,
      regions,
      credentials,
      iamReads: iamReads as IamReadStrategy,
      ...(output ? { output } : {}),
      quiet,
      timeouts,
    };

  const formats = formatText.split(',').map((f) => f.trim().toLowerCase());
  const unknownFormat = formats.find((f) => !(REPORT_FORMATS as readonly string[]).includes(f));
  if (unknownFormat !== undefined || formats.length === 0) {
    throw new ConfigError(
      `--format takes ${REPORT_FORMATS.join(', ')} (or several, comma-separated), not "${unknownFormat ?? formatText}".`,
    );
  }
  const outputDir = values['output-dir'] as string | undefined;
  if (formats.length > 1 && !outputDir) {
    throw new ConfigError(
      `--format ${formatText} writes ${formats.length} files: name their directory with --output-dir DIR.`,
    );
  }
  if (outputDir && output)
    throw new ConfigError('--output names one file, --output-dir a directory for several: use one.');
  // Severities are names, not codes: HIGH and high are the same.
  const failOn = ((values['fail-on'] as string | undefined) ?? 'medium').toLowerCase();
  if (!(SEVERITIES as readonly string[]).includes(failOn)) {
    throw new ConfigError(`--fail-on must be one of ${SEVERITIES.join(', ')}, not "${failOn}".`);
  }
  const shown = (values.severity as string | undefined)?.toLowerCase();
  if (shown !== undefined && !(SEVERITIES as readonly string[]).includes(shown)) {
    throw new ConfigError(`--severity must be one of ${SEVERITIES.join(', ')}, not "${values.severity}".`);
  }
  const publish = values.publish as string | undefined;
  if (publish !== undefined && !isTopicArn(publish)) {
    throw new ConfigError(`--publish "${publish}" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME).`);
  }
  const organization = accountArgs(values, credentials);
  if (organization && stateTable) {
    throw new ConfigError(
      "--state-table keeps one account's findings: run it per account, or deploy the Lambda with its state table.",
    );
  }
  return {
    command,
    args: {
      ...(stateTable ? { stateTable } : {}),
      regions,
      credentials,
      iamReads: iamReads as IamReadStrategy,
      organization,
      baseline: values.baseline as string | undefined,
      debug: values.debug === true,
      formats: [...new Set(formats)] as ReportFormat[],
      output,
      ...(outputDir ? { outputDir } : {}),
      failOn: failOn as Severity,
      showFrom: shown as Severity | undefined,
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

/**
 * Colour on a terminal; `NO_COLOR` (any value) turns it off, `FORCE_COLOR` (any value but `0` or
 * `false`) turns it on where there is no terminal (CI logs that render ANSI colours).
 */
export const colourWanted = (io: Pick<CliIo, 'stdout' | 'env'>): boolean => {
  if (io.env.NO_COLOR) return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force.toLowerCase() !== 'false') return true;
  return io.stdout.isTTY === true;
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

/** Where and as whom a run works: the regions (a profile's region when none was given) and the credentials. */
interface Setup {
  readonly regions: readonly string[] | 'all';
  /** The region of the global IAM, STS and Organizations clients; it also selects the partition. */
  readonly homeRegion: string;
  /** The caller's credentials: the profile's, or the default chain (undefined). */
  readonly base?: CredentialProvider | undefined;
  /** The audited account's credentials: the role of --role-arn assumed with the base ones, or the base ones. */
  readonly credentials?: CredentialProvider | undefined;
}

const setUp = async (
  regions: readonly string[] | 'all' | undefined,
  credentials: CredentialArgs,
  io: CliIo,
  deps: CliDeps,
): Promise<Setup> => {
  const { profile, roleArn, externalId } = credentials;
  let resolved = regions;
  let profileHome: string | undefined;
  if (profile) profileHome = await deps.credentials.profileRegion(profile);
  if (resolved === undefined) {
    if (!profileHome) {
      throw new ConfigError(
        `No region given, and profile ${profile} names none (or does not exist): pass --regions us-east-1[,eu-west-1] or all.`,
      );
    }
    resolved = [profileHome];
  }
  const homeRegion =
    resolved === 'all'
      ? (io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? profileHome ?? 'us-east-1')
      : (resolved[0] ?? 'us-east-1');
  const base = profile ? deps.credentials.profile(profile) : undefined;
  const assumed = roleArn ? deps.credentials.assumeRole({ roleArn, externalId, base, region: homeRegion }) : base;
  return { regions: resolved, homeRegion, base, credentials: assumed };
};

/** Renders a report (or an organisation report) in one format. */
const renderAs = (
  format: ReportFormat,
  report: Report | OrganizationReport,
  colour: boolean,
  showFrom: Severity | undefined,
): string => {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'html':
      return renderHtml(report);
    case 'csv':
      return renderCsv(report);
    case 'ocsf':
      return `${JSON.stringify(renderOcsf(report), null, 2)}\n`;
    case 'text':
      return 'kind' in report
        ? renderOrganizationText(report, palette(colour))
        : renderText(report, palette(colour), showFrom ? { minSeverity: showFrom } : {});
  }
};

/** Writes the report in every format asked for: to standard output, `--output`, or `--output-dir`. */
const writeReport = async (
  args: AuditArgs,
  io: CliIo,
  report: Report | OrganizationReport,
  progress: ((message: string) => void) | undefined,
): Promise<void> => {
  const colour = !args.output && !args.outputDir && colourWanted(io);
  if (!args.outputDir) {
    await emit(io, renderAs(args.formats[0] ?? 'text', report, colour, args.showFrom), args.output, progress);
    return;
  }
  for (const format of args.formats) {
    await emit(
      io,
      renderAs(format, report, false, args.showFrom),
      join(args.outputDir, FORMAT_FILES[format]),
      progress,
    );
  }
};

/** Creates `--output-dir` when missing, before any AWS call; fails when it cannot be written. */
const checkOutputDir = async (dir: string | undefined): Promise<void> => {
  if (!dir) return;
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new ConfigError(`Cannot write to --output-dir ${dir}: ${(error as Error).message}`, { cause: error });
  }
};

/**
 * The adapters for the audited account: the setup's region and credentials (the role of
 * `--role-arn`, or the caller's), the command's timeouts, IAM read strategy and `--debug` request log.
 */
const auditedPorts = (
  deps: CliDeps,
  io: CliIo,
  setup: Setup,
  options: {
    readonly timeouts: HttpTimeouts;
    readonly credentials: CredentialArgs;
    readonly iamReads?: IamReadStrategy;
    readonly debug?: boolean;
  },
  progress?: (message: string) => void,
): AuditPorts =>
  deps.createPorts({
    homeRegion: setup.homeRegion,
    endpoint: io.env.AWS_ENDPOINT_URL,
    timeouts: options.timeouts,
    credentials: setup.credentials,
    profile: options.credentials.profile,
    iamReads: options.iamReads,
    onNote: progress,
    requestLog: options.debug ? (line: string) => io.stderr.write(`${line}\n`) : undefined,
  });

/** Fails before any AWS call when the report could not be written where --output says. */
const checkOutput = async (output: string | undefined): Promise<void> => {
  if (!output) return;
  try {
    await access(dirname(resolve(output)), constants.W_OK);
  } catch (error) {
    throw new ConfigError(
      `Cannot write ${output}: its directory ${dirname(resolve(output))} does not exist or is not writable.`,
      { cause: error },
    );
  }
};

const audit = async (args: AuditArgs, io: CliIo, deps: CliDeps): Promise<number> => {
  const progress = args.quiet ? undefined : (message: string) => io.stderr.write(`${message}\n`);
  await checkOutput(args.output);
  await checkOutputDir(args.outputDir);
  const baseline: Baseline = args.baseline ? await loadBaselineFile(args.baseline) : AWS_DEFAULT_BASELINE;
  const setup = await setUp(args.regions, args.credentials, io, deps);
  if (args.organization) return auditOrganization(args, args.organization, setup, baseline, io, deps);
  let report: Report;
  try {
    const ports = auditedPorts(deps, io, setup, args, progress);
    report = await runAudit(ports, { regions: setup.regions, baseline, ...(progress ? { onProgress: progress } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    io.stderr.write(`batch-iam-drift: the audit could not finish: ${(error as Error).message}\n`);
    return EXIT.incomplete;
  }
  if (args.stateTable) return auditWithState(args, args.stateTable, report, setup, io, deps);
  await writeReport(args, io, report, progress);
  if (args.publish) {
    const published = await publish(args, [report], setup, io, deps, progress);
    if (!published) return EXIT.usage;
  }
  return exitCodeFor(report, args.failOn);
};

/**
 * The rest of an audit with `--state-table`: statuses from the table, the report out, the changes
 * alert when `--publish` is given and something changed, then the state written. A state that cannot
 * be read or written is an error in the report (exit 3), never a silent success.
 */
const auditWithState = async (
  args: AuditArgs,
  table: string,
  audited: Report,
  setup: Setup,
  io: CliIo,
  deps: CliDeps,
): Promise<number> => {
  const progress = args.quiet ? undefined : (message: string) => io.stderr.write(`${message}\n`);
  const options = {
    store: deps.createStateStore({
      table,
      homeRegion: setup.homeRegion,
      timeouts: args.timeouts,
      credentials: setup.base,
    }),
    runId: newRunId(new Date(audited.startedAt)),
    wholeAccount: true,
    retentionDays: 90,
    now: () => new Date(),
  };
  const tracked = await trackFindings(audited, options);
  let report = tracked.report;
  let alerted = new Set<string>();
  if (args.publish && tracked.reconciled) {
    const announcement = announce(report, tracked.reconciled.changes, args.failOn, false);
    if (announcement.due) {
      const messageId = await deps
        .createPublisher(setup.base)
        .publish(args.publish, buildChangesAlert(report, announcement, args.failOn))
        .catch((error: Error) => {
          io.stderr.write(`batch-iam-drift: could not publish to ${args.publish}: ${error.message}\n`);
          return undefined;
        });
      // Not published: the state stays as it was, so the next run announces the same changes.
      if (messageId === undefined) return EXIT.usage;
      progress?.(`Alert published to ${args.publish} (message ${messageId})`);
      alerted = new Set([
        ...announcement.findingIds,
        ...idsOf(announcement.resolved),
        ...idsOf(announcement.waiversExpiring),
      ]);
    } else {
      progress?.('Nothing changed at or above --fail-on: no alert published.');
    }
  } else if (args.publish) {
    const published = await publish(args, [report], setup, io, deps, progress);
    if (!published) return EXIT.usage;
  }
  const outcome = await commitLifecycle(tracked, options, { alerted, at: new Date().toISOString() });
  if (outcome.errors.length > 0) report = { ...report, complete: false, errors: [...report.errors, ...outcome.errors] };
  if (report.lifecycle) progress?.(`State ${table}: ${outcome.written} items written`);
  await writeReport(args, io, report, progress);
  return exitCodeFor(report, args.failOn);
};

/** `batch-iam-drift findings`: the state table's items for the caller's account. */
const listFindings = async (
  request: Extract<CliRequest, { command: 'findings' }>,
  io: CliIo,
  deps: CliDeps,
): Promise<number> => {
  await checkOutput(request.output);
  const setup = await setUp(request.regions, request.credentials, io, deps);
  const { account } = await auditedPorts(deps, io, setup, request).identity.whoAmI();
  const store = deps.createStateStore({
    table: request.table,
    homeRegion: setup.homeRegion,
    timeouts: request.timeouts,
    credentials: setup.base,
  });
  let states: Awaited<ReturnType<FindingStateStore['load']>>;
  try {
    states = await store.load(account);
  } catch (error) {
    const e = error as Error;
    io.stderr.write(`batch-iam-drift: could not read ${store.location} (dynamodb:Query, ${e.name}): ${e.message}\n`);
    return EXIT.incomplete;
  }
  const kept = filterStates(states, {
    ...(request.status ? { status: request.status } : {}),
    ...(request.since ? { since: request.since } : {}),
  });
  const colour = request.format === 'text' && !request.output && colourWanted(io);
  const text =
    request.format === 'json'
      ? `${JSON.stringify({ account, table: request.table, findings: kept }, null, 2)}\n`
      : renderStates(kept, `${store.location} (account ${account})`, palette(colour));
  await emit(io, text, request.output);
  return EXIT.ok;
};

/** Publishes one alert per account report; false (after saying why) when SNS refused one. */
const publish = async (
  args: AuditArgs,
  reports: readonly Report[],
  setup: Setup,
  io: CliIo,
  deps: CliDeps,
  progress: ((message: string) => void) | undefined,
): Promise<boolean> => {
  const topic = args.publish as string;
  const publisher = deps.createPublisher(setup.base);
  for (const report of reports) {
    try {
      const messageId = await publisher.publish(topic, buildAlert(report, { minSeverity: args.failOn }));
      progress?.(
        `${reports.length > 1 ? `[${report.account}] ` : ''}Alert published to ${topic} (message ${messageId})`,
      );
    } catch (error) {
      io.stderr.write(`batch-iam-drift: could not publish to ${topic}: ${(error as Error).message}\n`);
      return false;
    }
  }
  return true;
};

/** The exit code of an organisation run: incomplete wins, then findings in any account. */
export const organizationExitCode = (report: OrganizationReport, failOn: Severity): number => {
  if (!report.complete) return EXIT.incomplete;
  return report.accounts.some((r) => exitCodeFor(r, failOn) === EXIT.findings) ? EXIT.findings : EXIT.ok;
};

const auditOrganization = async (
  args: AuditArgs,
  organization: AccountArgs,
  setup: Setup,
  baseline: Baseline,
  io: CliIo,
  deps: CliDeps,
): Promise<number> => {
  const progress = args.quiet ? undefined : (message: string) => io.stderr.write(`${message}\n`);
  const portsFor = (credentials: CredentialProvider | undefined) =>
    deps.createPorts({
      homeRegion: setup.homeRegion,
      endpoint: io.env.AWS_ENDPOINT_URL,
      timeouts: args.timeouts,
      credentials,
      profile: args.credentials.profile,
      iamReads: args.iamReads,
      onNote: progress,
      requestLog: args.debug ? (line: string) => io.stderr.write(`${line}\n`) : undefined,
    });
  const caller = portsFor(setup.base);
  const report = await runOrganization(
    {
      caller: caller.identity,
      directory: deps.createDirectory({
        homeRegion: setup.homeRegion,
        timeouts: args.timeouts,
        credentials: setup.base,
      }),
      portsFor: (_account, roleArn) =>
        roleArn
          ? portsFor(
              deps.credentials.assumeRole({
                roleArn,
                externalId: args.credentials.externalId,
                base: setup.base,
                region: setup.homeRegion,
              }),
            )
          : caller,
    },
    {
      accounts: organization.accounts,
      ou: organization.ou,
      exclude: organization.exclude,
      roleName: organization.roleName,
      concurrency: organization.concurrency,
      regions: setup.regions,
      baseline,
      ...(progress ? { onProgress: progress } : {}),
    },
  );
  await writeReport(args, io, report, progress);
  if (args.publish && !(await publish(args, report.accounts, setup, io, deps, progress))) return EXIT.usage;
  return organizationExitCode(report, args.failOn);
};

const capture = async (
  request: Extract<CliRequest, { command: 'baseline capture' }>,
  io: CliIo,
  deps: CliDeps,
): Promise<number> => {
  const progress = request.quiet ? undefined : (message: string) => io.stderr.write(`${message}\n`);
  await checkOutput(request.output);
  const setup = await setUp(request.regions, request.credentials, io, deps);
  const ports = auditedPorts(deps, io, setup, request, progress);
  const state = await collectState(ports, {
    regions: setup.regions,
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
        io.stdout.write(request.text);
        return EXIT.ok;
      case 'version':
        io.stdout.write(`${TOOL.version}\n`);
        return EXIT.ok;
      case 'list-rules':
        io.stdout.write(
          request.format === 'json'
            ? `${JSON.stringify(RULE_SUMMARIES, null, 2)}\n`
            : RULE_SUMMARIES.map((r) => `${r.id} (${r.severities})\n  ${r.summary}\n`).join(''),
        );
        return EXIT.ok;
      case 'audit':
        return await audit(request.args, io, deps);
      case 'baseline capture':
        return await capture(request, io, deps);
      case 'baseline validate':
        return await validate(request.file, io);
      case 'findings':
        return await listFindings(request, io, deps);
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
