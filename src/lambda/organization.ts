import type { Logger } from '@aws-lambda-powertools/logger';
import { runAudit } from '../app/run-audit.js';
import { DEFAULT_MEMBER_ROLE } from '../app/run-organization.js';
import type { AlertPublisher } from '../aws/sns-publisher.js';
import type { Baseline } from '../domain/baseline.js';
import { atOrAbove, SEVERITIES, type Severity } from '../domain/model.js';
import { type AccountError, organizationReport, type Report } from '../domain/report.js';
import { awsErrorCode, cleanMessage } from '../error-codes.js';
import { ConfigError } from '../errors.js';
import type { AccountIdentity, AuditPorts, OrganizationDirectory, ReportStore } from '../ports.js';
import { parseRegionList } from '../regions.js';
import { buildOrganizationAlert } from '../render/organization-alert.js';
import { TOOL } from '../version.js';

/** The organisation functions' configuration, from their environment. */
export interface OrganizationConfig {
  readonly topicArn?: string | undefined;
  readonly regions: readonly string[];
  readonly roleName: string;
  readonly ou?: string | undefined;
  readonly exclude: readonly string[];
  readonly minSeverity: Severity;
  readonly alertMode: 'findings' | 'always';
  /** Accounts audited at once: the Distributed Map's MaxConcurrency. */
  readonly maxConcurrency: number;
}

/** Reads the organisation functions' environment; every error names the variable. */
export const parseOrganizationConfig = (env: Readonly<Record<string, string | undefined>>): OrganizationConfig => {
  const regionList = env.AUDIT_REGIONS?.trim() || env.AWS_REGION;
  if (!regionList) throw new ConfigError('AUDIT_REGIONS is not set and AWS_REGION is missing.');
  const exclude = (env.EXCLUDE_ACCOUNTS ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const bad = exclude.find((a) => !/^\d{12}$/.test(a));
  if (bad) throw new ConfigError(`EXCLUDE_ACCOUNTS: "${bad}" is not an AWS account id.`);
  const minSeverity = (env.ALERT_MIN_SEVERITY?.trim() || 'medium') as Severity;
  if (!SEVERITIES.includes(minSeverity)) {
    throw new ConfigError(`ALERT_MIN_SEVERITY must be one of ${SEVERITIES.join(', ')}, not "${minSeverity}".`);
  }
  const maxConcurrency = Number(env.MAX_CONCURRENCY?.trim() || '10');
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10_000) {
    throw new ConfigError(`MAX_CONCURRENCY must be a whole number from 1 to 10000, not "${env.MAX_CONCURRENCY}".`);
  }
  // Organisation runs keep no finding state: `changes` (the stack's default) publishes as `findings` does.
  const alertMode = env.ALERT_MODE?.trim() === 'always' ? 'always' : 'findings';
  return {
    topicArn: env.TOPIC_ARN?.trim() || undefined,
    regions: parseRegionList(regionList, env.AUDIT_REGIONS?.trim() ? 'AUDIT_REGIONS' : 'AWS_REGION'),
    roleName: env.MEMBER_ROLE_NAME?.trim() || DEFAULT_MEMBER_ROLE,
    ou: env.ORGANIZATIONAL_UNIT?.trim() || undefined,
    exclude,
    minSeverity,
    alertMode,
    maxConcurrency,
  };
};

/** What the organisation functions talk to. */
export interface OrganizationFunctionDeps {
  readonly config: OrganizationConfig;
  /** The auditor's own identity: its account is audited with its own credentials. */
  readonly caller: AccountIdentity;
  readonly directory: OrganizationDirectory;
  /** Ports for one account, entered through `roleArn` (undefined: the auditor's own account). */
  readonly portsFor: (account: string, roleArn: string | undefined) => AuditPorts;
  readonly reports: ReportStore;
  readonly publisher: AlertPublisher;
  readonly loadBaseline: () => Promise<Baseline>;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly now?: () => Date;
}

/** The state machine's input to the audit step: one account of one run. */
export interface AccountTask {
  readonly runId: string;
  readonly account: string;
}

/** What the audit step returns for one account (the full report is in the store). */
export interface AccountResult {
  readonly account: string;
  readonly key: string;
  readonly complete: boolean;
  readonly findings: number;
}

/** One Map item after the state machine's Catch: a result, or the failure it caught. */
export type MapItem =
  | AccountResult
  | { readonly account: string; readonly role?: string; readonly error: { Error?: string; Cause?: string } };

/** The error an account that cannot be entered throws; the state machine catches it as a failed item. */
export class AccountEntryError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'AccountEntryError';
  }
}

const reportKey = (runId: string, account: string) => `reports/${runId}/${account}.json`;

/**
 * The three Task states of the organisation state machine: list the accounts, audit one account
 * (entering it through the member role, writing its report to the store), and aggregate the run
 * into one organisation report and one alert.
 */
export const createOrganizationFunctions = (deps: OrganizationFunctionDeps) => {
  const now = deps.now ?? (() => new Date());
  const { config } = deps;
  return {
    /** Lists the organisation's ACTIVE accounts (under the OU, less the excluded ones) and names the run. */
    async listAccounts(): Promise<{ runId: string; startedAt: string; accounts: string[]; maxConcurrency: number }> {
      const started = now();
      const excluded = new Set(config.exclude);
      const accounts = (await deps.directory.activeAccounts(config.ou))
        .map((a) => a.id)
        .filter((id) => !excluded.has(id))
        .sort();
      const runId = started.toISOString().replace(/[:.]/g, '-');
      deps.logger?.info('organisation run started', { runId, accounts: accounts.length });
      return { runId, startedAt: started.toISOString(), accounts, maxConcurrency: config.maxConcurrency };
    },

    /** Audits one account and stores its report; an account that cannot be entered throws AccountEntryError. */
    async auditAccount(task: AccountTask): Promise<AccountResult> {
      if (!/^\d{12}$/.test(task.account ?? '')) throw new ConfigError(`not an account id: "${task.account}"`);
      const caller = await deps.caller.whoAmI();
      const roleArn =
        task.account === caller.account
          ? undefined
          : `arn:${caller.partition}:iam::${task.account}:role/${config.roleName}`;
      const ports = deps.portsFor(task.account, roleArn);
      try {
        const entered = await ports.identity.whoAmI();
        if (entered.account !== task.account) {
          throw new ConfigError(`entering ${task.account} gave credentials for account ${entered.account}`);
        }
      } catch (error) {
        const inner = (error as { cause?: unknown }).cause ?? error;
        // Lambda passes on only the error's type and message: the code travels inside the message.
        throw new AccountEntryError(
          `${task.account} could not be entered${roleArn ? ` through ${roleArn}` : ''}: [${awsErrorCode(inner)}] ${cleanMessage((error as Error).message)}`,
        );
      }
      const report = await runAudit(ports, { regions: config.regions, baseline: await deps.loadBaseline(), now });
      const key = reportKey(task.runId, task.account);
      await deps.reports.put(key, `${JSON.stringify(report, null, 2)}\n`);
      return { account: task.account, key, complete: report.complete, findings: report.summary.findings };
    },

    /** Puts the run together: reads each account's report, stores the organisation report, publishes one alert. */
    async aggregate(input: { runId: string; startedAt: string; results: readonly MapItem[] }) {
      const reports: Report[] = [];
      const errors: AccountError[] = [];
      for (const item of input.results) {
        if ('error' in item) {
          const cause = parseCause(item.error.Cause);
          errors.push({
            account: item.account,
            ...(cause.role ? { role: cause.role } : {}),
            operation: item.error.Error === 'AccountEntryError' ? 'sts:AssumeRole' : 'audit',
            code: cause.code ?? item.error.Error ?? 'Error',
            message: cause.message ?? 'the audit of this account failed',
          });
          continue;
        }
        try {
          reports.push(JSON.parse(await deps.reports.get(item.key)) as Report);
        } catch (error) {
          errors.push({
            account: item.account,
            operation: 's3:GetObject',
            code: awsErrorCode(error),
            message: `its report ${deps.reports.location(item.key)} could not be read: ${cleanMessage((error as Error).message)}`,
          });
        }
      }
      const report = organizationReport(TOOL, input.startedAt, now().toISOString(), reports, errors);
      const key = `reports/${input.runId}/organization.json`;
      await deps.reports.put(key, `${JSON.stringify(report, null, 2)}\n`);
      const location = deps.reports.location(`reports/${input.runId}/`);
      const alertWorthy =
        config.alertMode === 'always' ||
        !report.complete ||
        report.accounts.some((r) => r.findings.some((f) => atOrAbove(f.severity, config.minSeverity)));
      let published: string | undefined;
      if (alertWorthy && config.topicArn) {
        published = await deps.publisher.publish(
          config.topicArn,
          buildOrganizationAlert(report, { minSeverity: config.minSeverity, location }),
        );
      }
      deps.logger?.info('organisation run finished', {
        runId: input.runId,
        accounts: report.summary.accounts,
        notAudited: report.errors.length,
        findings: report.summary.findings,
        published: published !== undefined,
      });
      return {
        location,
        complete: report.complete,
        accounts: report.summary.accounts,
        notAudited: errors.length,
        findings: report.summary.findings,
        ...(published ? { messageId: published } : {}),
      };
    },
  };
};

/**
 * The Cause of a caught error: in AWS a JSON object with `errorType` and `errorMessage`, locally (and
 * from other states) plain text. The role and the AWS code travel inside the message.
 */
const parseCause = (
  cause: string | undefined,
): { code?: string | undefined; message?: string | undefined; role?: string } => {
  if (!cause) return {};
  let message = cause;
  let type: string | undefined;
  try {
    const parsed = JSON.parse(cause) as { errorType?: string; errorMessage?: string };
    message = parsed.errorMessage ?? cause;
    type = parsed.errorType;
  } catch {
    // Plain text: the message itself.
  }
  const role = /through (arn:[^:]+:iam::\d{12}:role\/\S+?): /.exec(message)?.[1];
  const code = /: \[([\w.]+)\] /.exec(message)?.[1];
  return { code: code ?? type, message, ...(role ? { role } : {}) };
};
