import pLimit from 'p-limit';
import type { Baseline } from '../domain/baseline.js';
import { type AccountError, type OrganizationReport, organizationReport, type Report } from '../domain/report.js';
import { awsErrorCode, cleanMessage } from '../error-codes.js';
import { ConfigError } from '../errors.js';
import type { AccountIdentity, AuditPorts, OrganizationDirectory } from '../ports.js';
import { TOOL } from '../version.js';
import { runAudit } from './run-audit.js';

/** The role assumed in each member account unless `--role-name` says otherwise. */
export const DEFAULT_MEMBER_ROLE = 'batch-iam-drift-audit';

/** Accounts audited at once unless `--concurrency` says otherwise: IAM's rate limits are per account, so accounts do not slow each other. */
export const DEFAULT_ACCOUNT_CONCURRENCY = 8;

/** What an organisation run talks to. */
export interface OrganizationPorts {
  /** Who runs the audit: its own account is audited with its own credentials. */
  readonly caller: AccountIdentity;
  /** The organisation's accounts, for `all` and `ou`. */
  readonly directory: OrganizationDirectory;
  /** The ports for one account: entered through `roleArn`, or with the caller's credentials when undefined. */
  portsFor(account: string, roleArn: string | undefined): AuditPorts;
}

/** Which accounts and regions to audit, and how. */
export interface OrganizationOptions {
  /** Account ids, or `all`: every ACTIVE account of the organisation (under `ou` when given). */
  readonly accounts: readonly string[] | 'all';
  readonly ou?: string | undefined;
  readonly exclude?: readonly string[];
  /** The role assumed in each member account: a name, or `path/name`. */
  readonly roleName?: string;
  readonly concurrency?: number;
  readonly regions: readonly string[] | 'all';
  readonly baseline: Baseline;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
  readonly now?: () => Date;
}

const describe = (error: unknown): { code: string; message: string } => {
  const inner = ((error as { cause?: unknown }).cause ?? error) as { message?: string };
  return { code: awsErrorCode(inner), message: cleanMessage((error as Error).message ?? String(error)) };
};

/** The accounts to audit: the list given, or the organisation's, less the excluded ones, each once, sorted. */
const accountsToAudit = async (ports: OrganizationPorts, options: OrganizationOptions): Promise<string[]> => {
  let accounts: readonly string[];
  if (options.accounts === 'all') {
    try {
      accounts = (await ports.directory.activeAccounts(options.ou, options.signal)).map((a) => a.id);
    } catch (error) {
      const { code, message } = describe(error);
      throw new ConfigError(
        `Could not list the organisation's accounts (${code}): ${message}. Run from the management account or a delegated administrator, with organizations:ListAccounts${options.ou ? ', ListAccountsForParent and ListOrganizationalUnitsForParent' : ''}.`,
        { cause: error },
      );
    }
  } else {
    accounts = options.accounts;
  }
  const excluded = new Set(options.exclude ?? []);
  return [...new Set(accounts)].filter((a) => !excluded.has(a)).sort();
};

/**
 * Audits several accounts, each as `runAudit` audits one, a bounded number at a time. A member
 * account is entered by assuming `roleName` in it; the caller's own account with its own credentials.
 * An account that cannot be entered or audited is an entry in `errors` (the run is then incomplete)
 * and the others are still audited.
 */
export const runOrganization = async (
  ports: OrganizationPorts,
  options: OrganizationOptions,
): Promise<OrganizationReport> => {
  const now = options.now ?? (() => new Date());
  const progress = options.onProgress ?? (() => undefined);
  if (options.baseline.account) {
    throw new ConfigError(
      `The baseline ${options.baseline.source.name} is for account ${options.baseline.account} only; an organisation run needs a baseline without "account".`,
    );
  }
  const startedAt = now().toISOString();
  const caller = await ports.caller.whoAmI(options.signal);
  const accounts = await accountsToAudit(ports, options);
  if (accounts.length === 0) throw new ConfigError('No account to audit: the list is empty after --exclude-accounts.');
  const roleName = options.roleName ?? DEFAULT_MEMBER_ROLE;
  const limit = pLimit(Math.max(1, options.concurrency ?? DEFAULT_ACCOUNT_CONCURRENCY));
  const reports: Report[] = [];
  const errors: AccountError[] = [];
  let done = 0;
  progress(`Auditing ${accounts.length} account${accounts.length === 1 ? '' : 's'}, ${limit.concurrency} at a time`);
  await Promise.all(
    accounts.map((account) =>
      limit(async () => {
        const roleArn =
          account === caller.account ? undefined : `arn:${caller.partition}:iam::${account}:role/${roleName}`;
        const accountPorts = ports.portsFor(account, roleArn);
        const failed = (operation: string, error: unknown) =>
          errors.push({ account, ...(roleArn ? { role: roleArn } : {}), operation, ...describe(error) });
        try {
          // Entering the account first tells "cannot get in" (role missing, denied, SCP) from a failed audit.
          const entered = await accountPorts.identity.whoAmI(options.signal);
          // A role that lands in another account than the one named would audit the wrong account.
          if (entered.account !== account) {
            throw new ConfigError(`entering ${account} gave credentials for account ${entered.account}`);
          }
        } catch (error) {
          failed(roleArn ? 'sts:AssumeRole' : 'sts:GetCallerIdentity', error);
          done++;
          progress(`accounts ${done}/${accounts.length}`);
          return;
        }
        try {
          reports.push(
            await runAudit(accountPorts, {
              regions: options.regions,
              baseline: options.baseline,
              ...(options.signal ? { signal: options.signal } : {}),
              onProgress: (message) => progress(`[${account}] ${message}`),
              now,
            }),
          );
        } catch (error) {
          failed('audit', error);
        }
        done++;
        progress(`accounts ${done}/${accounts.length}`);
      }),
    ),
  );
  return organizationReport(TOOL, startedAt, now().toISOString(), reports, errors);
};
