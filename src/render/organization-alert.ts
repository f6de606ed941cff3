import { atOrAbove, SEVERITIES, type Severity } from '../domain/model.js';
import type { OrganizationReport, Report } from '../domain/report.js';
import { type Alert, alertBytes, asciiSubject, SNS_MAX_BYTES, slackEscape } from './alert.js';
import { terminalSafe } from './text.js';

/** What an organisation alert includes. */
export interface OrganizationAlertOptions {
  /** Findings below this severity are counted, not listed. */
  readonly minSeverity: Severity;
  /** Where the full reports are (`s3://bucket/reports/RUN/`), named in every protocol. */
  readonly location: string;
  readonly maxBytes?: number;
}

const counts = (bySeverity: Readonly<Record<Severity, number>>, minSeverity: Severity): string =>
  SEVERITIES.filter((s) => atOrAbove(s, minSeverity) && bySeverity[s] > 0)
    .map((s) => `${bySeverity[s]} ${s}`)
    .join(', ');

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** One line per audited account: its counts at or above the threshold, or why it says nothing. */
const accountLine = (report: Report, minSeverity: Severity): string => {
  const found = counts(report.summary.bySeverity, minSeverity);
  const state = !report.complete
    ? `INCOMPLETE (${plural(report.errors.length, 'read error')})${found ? `, ${found}` : ''}`
    : report.warnings?.some((w) => w.code === 'NothingAudited')
      ? 'nothing audited (no compute environment)'
      : found || 'no drift';
  return `${report.account}: ${state}`;
};

/** The subject: the organisation's counts, or INCOMPLETE with how many accounts were not audited. */
const subjectOf = (report: OrganizationReport, minSeverity: Severity): string => {
  const found = counts(report.summary.bySeverity, minSeverity) || 'no drift';
  const scope = plural(report.summary.accounts + report.errors.length, 'account');
  if (report.complete) return asciiSubject(`[batch-iam-drift] ${found} in ${scope}`);
  const incomplete = report.accounts.filter((r) => !r.complete).length;
  return asciiSubject(
    `[batch-iam-drift] INCOMPLETE in ${scope}: ${report.errors.length} not audited, ${incomplete} incomplete; ${found}`,
  );
};

/**
 * The one SNS message of an organisation run, in the same protocols as a single account's: email
 * text with a line per account, the accounts that could not be audited, and the findings at or above
 * the threshold (most severe first, as many as fit); the JSON protocols carry the organisation
 * summary, each account's summary and the reports' location; Slack gets a card. Within `maxBytes`:
 * listed findings, then account lines, are cut first, each cut said in the text.
 */
export const buildOrganizationAlert = (report: OrganizationReport, options: OrganizationAlertOptions): Alert => {
  const max = options.maxBytes ?? SNS_MAX_BYTES;
  const subject = subjectOf(report, options.minSeverity);
  const findings = report.accounts
    .flatMap((r) => r.findings.filter((f) => atOrAbove(f.severity, options.minSeverity)).map((f) => ({ r, f })))
    .sort((a, b) => SEVERITIES.indexOf(a.f.severity) - SEVERITIES.indexOf(b.f.severity));
  const machineOf = (withAccounts: boolean) =>
    JSON.stringify({
      kind: 'organization',
      schemaVersion: 1,
      tool: report.tool,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      complete: report.complete,
      summary: report.summary,
      reports: options.location,
      ...(withAccounts
        ? { accounts: report.accounts.map((r) => ({ account: r.account, complete: r.complete, summary: r.summary })) }
        : { accountsOmitted: report.accounts.length }),
      errors: report.errors,
    });
  const compose = (shownFindings: number, shownAccounts: number, withAccounts = true): Alert => {
    const machine = machineOf(withAccounts);
    const lines = [
      subject,
      `${plural(report.summary.accounts, 'account')} audited, ${plural(report.summary.computeEnvironments, 'compute environment')}, ${plural(report.summary.findings, 'finding')}.`,
      `Full reports: ${options.location}`,
    ];
    if (report.errors.length > 0) {
      lines.push('', `NOT AUDITED (${report.errors.length}):`);
      for (const e of report.errors) {
        lines.push(
          `  ${e.account}${e.role ? ` via ${terminalSafe(e.role)}` : ''}: ${e.operation} ${e.code}: ${terminalSafe(e.message)}`,
        );
      }
    }
    lines.push('', 'ACCOUNTS:');
    for (const r of report.accounts.slice(0, shownAccounts)) lines.push(`  ${accountLine(r, options.minSeverity)}`);
    if (shownAccounts < report.accounts.length) {
      lines.push(
        `  …and ${report.accounts.length - shownAccounts} more accounts in the reports (left out to fit the SNS limit).`,
      );
    }
    if (findings.length > 0) {
      lines.push('', `FINDINGS AT OR ABOVE ${options.minSeverity.toUpperCase()}:`);
      for (const { r, f } of findings.slice(0, shownFindings)) {
        lines.push(`  ${f.severity.toUpperCase()} [${f.rule}] ${r.account}: ${terminalSafe(f.title)}`);
        lines.push(`    fix: ${terminalSafe(f.remediation)}`);
      }
      if (shownFindings < findings.length) {
        lines.push(`  …and ${findings.length - shownFindings} more in the reports (left out to fit the SNS limit).`);
      }
    }
    const email = `${lines.join('\n')}\n`;
    const slack = {
      version: '1.0',
      source: 'custom',
      id: `organization-${report.startedAt}`,
      content: {
        textType: 'client-markdown',
        title: slackEscape(subject),
        description: slackEscape(
          [
            ...report.errors.slice(0, 5).map((e) => `${e.account} not audited: ${e.code}`),
            ...findings
              .slice(0, 10)
              .map(({ r, f }) => `${f.severity.toUpperCase()} ${f.rule} ${r.account}: ${f.title}`),
            `Full reports: ${options.location}`,
          ].join('\n'),
        ).slice(0, 3000),
      },
      metadata: {
        threadId: `batch-iam-drift-organization-${report.startedAt.slice(0, 10)}`,
        summary: subject,
        eventType: report.complete ? 'BatchIamDriftOrganizationAudit' : 'BatchIamDriftOrganizationAuditIncomplete',
      },
    };
    return {
      subject,
      message: JSON.stringify({ default: email, email, sqs: machine, lambda: machine, https: JSON.stringify(slack) }),
      attributes: {
        severity: {
          DataType: 'String',
          StringValue: SEVERITIES.find((s) => report.summary.bySeverity[s] > 0) ?? 'none',
        },
        findingCount: { DataType: 'Number', StringValue: String(report.summary.findings) },
        account: { DataType: 'String', StringValue: 'organization' },
        complete: { DataType: 'String', StringValue: String(report.complete) },
      },
      omittedFindings: findings.length - shownFindings,
    };
  };
  let shownFindings = findings.length;
  let shownAccounts = report.accounts.length;
  let alert = compose(shownFindings, shownAccounts);
  while (alertBytes(alert) > max && shownFindings > 0) {
    shownFindings = Math.floor(shownFindings / 2);
    alert = compose(shownFindings, shownAccounts);
  }
  while (alertBytes(alert) > max && shownAccounts > 0) {
    shownAccounts = Math.floor(shownAccounts / 2);
    alert = compose(shownFindings, shownAccounts);
  }
  // Thousands of accounts: the machine formats keep the totals and point at the reports.
  if (alertBytes(alert) > max) alert = compose(shownFindings, shownAccounts, false);
  return alert;
};
