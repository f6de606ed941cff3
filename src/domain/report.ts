import type { Waiver } from './baseline.js';
import type { Finding } from './finding.js';
import type { ReportLifecycle } from './lifecycle.js';
import { type AuditError, type IamSnapshot, SEVERITIES, type Severity } from './model.js';
import type { WaivedFinding } from './waivers.js';

/** The audit report: the CLI's JSON output and the Lambda's machine-readable alert. Schema: docs/report.schema.json. */
export interface Report {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: string; readonly version: string };
  readonly account: string;
  readonly regions: readonly string[];
  readonly startedAt: string;
  readonly finishedAt: string;
  /** False when anything could not be read: then the findings are a lower bound, never a clean bill. */
  readonly complete: boolean;
  readonly summary: {
    readonly computeEnvironments: number;
    readonly roles: number;
    readonly findings: number;
    readonly bySeverity: Readonly<Record<Severity, number>>;
    readonly waived: number;
  };
  /** Where the expected state came from: the built-in AWS defaults, or a team baseline file over them. */
  readonly baseline: { readonly source: string; readonly sha256?: string };
  readonly findings: readonly Finding[];
  /** Findings a waiver accepted; not in `findings`, the summary counts, alerts or the exit code. */
  readonly waived: readonly WaivedFinding[];
  /** Waivers that expire within 14 days. */
  readonly waiversExpiringSoon: readonly Waiver[];
  readonly errors: readonly AuditError[];
  /** With a state table: the run's id, what changed since the last run, and where the report is kept. */
  readonly lifecycle?: ReportLifecycle;
  /** Where this report is kept (`s3://bucket/reports/ACCOUNT/YYYY/MM/DD/RUN.json`), when reports are kept. */
  readonly reportLocation?: string;
  /** What a reader must know that is neither a finding nor a read error (nothing audited). Absent when empty. */
  readonly warnings?: readonly ReportWarning[];
  /** Set only in an alert that had to leave the least severe findings out to fit the SNS size limit. */
  readonly omittedFindings?: number;
  /** Set only in an alert that had to leave read errors out to fit the SNS size limit. */
  readonly omittedErrors?: number;
  /** Set only in an alert that had to leave waived findings out to fit the SNS size limit. */
  readonly omittedWaived?: number;
}

/** A warning in the report: `NothingAudited` when no compute environment was found in any audited region. */
export interface ReportWarning {
  readonly code: 'NothingAudited';
  readonly message: string;
}

/** The warning for an audit that found no compute environment: "no drift" would be misleading. */
export const nothingAudited = (regions: readonly string[]): ReportWarning => ({
  code: 'NothingAudited',
  message: `nothing audited: no compute environment in ${regions.join(', ')} (a wrong region or account?)`,
});

/** Collects the errors recorded in a snapshot, instance profiles first; a partly read role adds what it could not read. */
export const snapshotErrors = (snapshot: IamSnapshot): AuditError[] => [
  ...[...snapshot.instanceProfiles.values(), ...snapshot.roles.values(), ...snapshot.managedPolicies.values()].flatMap(
    (read) => (read.status === 'error' ? [read.error] : []),
  ),
  ...[...snapshot.roles.values()].flatMap((read) => (read.status === 'found' ? (read.value.unread ?? []) : [])),
];

/** Counts findings per severity, every severity present. */
export const countBySeverity = (findings: readonly Finding[]): Record<Severity, number> => {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of findings) counts[finding.severity]++;
  return counts;
};

/**
 * The report of a run that could not audit at all (its baseline was unusable): no findings, one error,
 * incomplete, so that the alert says so instead of staying silent.
 */
export const unauditedReport = (
  tool: Report['tool'],
  account: string,
  regions: readonly string[],
  error: AuditError,
  at: Date,
): Report => ({
  schemaVersion: 1,
  tool,
  account,
  regions: [...regions],
  startedAt: at.toISOString(),
  finishedAt: at.toISOString(),
  complete: false,
  summary: { computeEnvironments: 0, roles: 0, findings: 0, bySeverity: countBySeverity([]), waived: 0 },
  baseline: { source: error.resource.name },
  findings: [],
  waived: [],
  waiversExpiringSoon: [],
  errors: [error],
});

/** An account an organisation run could not audit: it could not be entered, or its audit failed outright. */
export interface AccountError {
  readonly account: string;
  /** The role the run tried to enter it with; absent for the caller's own account. */
  readonly role?: string;
  /** The call that failed, e.g. `sts:AssumeRole`. */
  readonly operation: string;
  readonly code: string;
  readonly message: string;
}

/** The report of a run over several accounts. Schema: docs/report.schema.json (`organizationReport`). */
export interface OrganizationReport {
  readonly schemaVersion: 1;
  readonly kind: 'organization';
  readonly tool: Report['tool'];
  readonly startedAt: string;
  readonly finishedAt: string;
  /** False when an account could not be audited or any account's report is incomplete. */
  readonly complete: boolean;
  readonly summary: {
    /** Accounts audited (those in `accounts`); the others are in `errors`. */
    readonly accounts: number;
    readonly computeEnvironments: number;
    readonly roles: number;
    readonly findings: number;
    readonly bySeverity: Readonly<Record<Severity, number>>;
  };
  /** One report per audited account, each exactly the single-account report, in account order. */
  readonly accounts: readonly Report[];
  readonly errors: readonly AccountError[];
}

/** Puts account reports and account errors together, summing the counts. */
export const organizationReport = (
  tool: Report['tool'],
  startedAt: string,
  finishedAt: string,
  reports: readonly Report[],
  errors: readonly AccountError[],
): OrganizationReport => {
  const accounts = [...reports].sort((a, b) => a.account.localeCompare(b.account));
  const bySeverity = countBySeverity([]);
  for (const report of accounts) for (const s of SEVERITIES) bySeverity[s] += report.summary.bySeverity[s];
  const sum = (pick: (r: Report) => number) => accounts.reduce((total, r) => total + pick(r), 0);
  return {
    schemaVersion: 1,
    kind: 'organization',
    tool,
    startedAt,
    finishedAt,
    complete: errors.length === 0 && accounts.every((r) => r.complete),
    summary: {
      accounts: accounts.length,
      computeEnvironments: sum((r) => r.summary.computeEnvironments),
      roles: sum((r) => r.summary.roles),
      findings: sum((r) => r.summary.findings),
      bySeverity,
    },
    accounts,
    errors: [...errors].sort((a, b) => a.account.localeCompare(b.account)),
  };
};
