import { findingRegions } from '../domain/lifecycle.js';
import type { OrganizationReport, Report } from '../domain/report.js';

/** The CSV columns, in their stable order (documented in docs/report.md). */
export const CSV_COLUMNS = [
  'account',
  'regions',
  'severity',
  'rule',
  'status',
  'first_seen',
  'title',
  'resource_type',
  'resource_arn',
  'resource_name',
  'role_kind',
  'subject',
  'expected',
  'actual',
  'remediation',
  'compute_environments',
  'job_queues',
  'job_definitions',
  'event_rules',
  'id',
] as const;

/**
 * One field, quoted as RFC 4180 says when it holds a comma, quote or line break. A field that a
 * spreadsheet would run as a formula (starting with =, +, - or @) gets a leading apostrophe: role
 * names and policy text come from the audited account.
 */
export const csvField = (value: string): string => {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** One row per finding (every account of an organisation report), a header first, CRLF line ends. */
export const renderCsv = (report: Report | OrganizationReport): string => {
  const accounts = 'kind' in report ? report.accounts : [report];
  const rows = accounts.flatMap((r) =>
    r.findings.map((f) => [
      r.account,
      findingRegions(f).join(' '),
      f.severity,
      f.rule,
      f.status ?? '',
      f.firstSeen ?? '',
      f.title,
      f.resource.type,
      f.resource.arn,
      f.resource.name,
      f.roleKind ?? '',
      f.subject,
      f.expected,
      f.actual,
      f.remediation,
      f.computeEnvironments.join(' '),
      f.jobQueues.join(' '),
      f.jobDefinitions.join(' '),
      f.eventRules.join(' '),
      f.id,
    ]),
  );
  return [[...CSV_COLUMNS], ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
};
