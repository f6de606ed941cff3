import type { Finding } from '../domain/finding.js';
import { type Announcement, lifecycleLine } from '../domain/lifecycle.js';
import { atOrAbove, SEVERITIES, type Severity } from '../domain/model.js';
import type { Report } from '../domain/report.js';
import { renderText, splitCommand } from './text.js';

/** Plain-text mail is read at 78 columns (RFC 5322's recommended line length). */
export const EMAIL_WIDTH = 78;

/** SNS's limit for one message, attributes included (256 KiB). */
export const SNS_MAX_BYTES = 262_144;

/** Subjects must be under 100 characters, with no line breaks or control characters. */
const SUBJECT_MAX = 99;

/** Slack renders a section of at most 3,000 characters; the Chatbot card's description is one. */
const SLACK_DESCRIPTION_MAX = 3_000;
const SLACK_TITLE_MAX = 200;
const SLACK_TOP_FINDINGS = 10;
const SLACK_NEXT_STEPS = 5;

/** A string-valued SNS message attribute, as the SDK's Publish takes it. */
export interface AlertAttribute {
  readonly DataType: 'String' | 'Number' | 'String.Array';
  readonly StringValue: string;
}

/** One SNS message that serves every subscriber: people by email and Slack, machines by SQS and Lambda. */
export interface Alert {
  readonly subject: string;
  /** The JSON for `MessageStructure: 'json'`: keys `default`, `email`, `sqs`, `lambda`, `https`. */
  readonly message: string;
  readonly attributes: Readonly<Record<string, AlertAttribute>>;
  /** Findings that did not fit within the SNS size limit (the least severe). */
  readonly omittedFindings: number;
}

/** What an alert includes. */
export interface AlertOptions {
  /** Findings below this severity are left out of the human formats (they stay in the JSON report). */
  readonly minSeverity: Severity;
  readonly maxBytes?: number;
  /** `changes`: the report lists only what changed; `digest`: the weekly list of everything open. */
  readonly kind?: 'changes' | 'digest';
  /** Lines said after the summary, e.g. how many ongoing findings a changes alert does not repeat. */
  readonly notes?: readonly string[];
}

/** Keeps printable ASCII only: Subject must have no control characters, and some mail clients mangle the rest. */
export const asciiSubject = (text: string): string =>
  text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
    .slice(0, SUBJECT_MAX);

/**
 * Role names, policy text and status reasons are untrusted. Slack's mrkdwn escapes only `&`, `<`, `>`
 * (which make links and mentions); it has no escape for the formatting characters, and shows a
 * backslash as typed. So a zero-width space goes before each `*`, `_`, `~` and backtick: Slack opens
 * formatting only at a word boundary, and the characters still show as typed. Control characters go.
 */
export const slackEscape = (text: string): string =>
  text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([`*_~])/g, '\u200b$1');

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const highestSeverity = (findings: readonly Finding[]): Severity | 'none' =>
  SEVERITIES.find((s) => findings.some((f) => f.severity === s)) ?? 'none';

/** Counts by severity at or above the threshold, e.g. `2 critical, 1 high`; empty when there are none. */
const countsAtOrAbove = (report: Report, minSeverity: Severity): string =>
  SEVERITIES.filter((s) => atOrAbove(s, minSeverity) && report.summary.bySeverity[s] > 0)
    .map((s) => `${report.summary.bySeverity[s]} ${s}`)
    .join(', ');

/**
 * The one-line subject: counts by severity at or above the threshold, or "no drift"; an incomplete
 * audit says so first, with how much could not be read and the first failure (never "no drift").
 */
export const alertSubject = (report: Report, minSeverity: Severity, kind?: AlertOptions['kind']): string => {
  const counts = countsAtOrAbove(report, minSeverity);
  const lifecycle = report.lifecycle?.stateRead ? report.lifecycle : undefined;
  if (report.complete && lifecycle && kind === 'digest') {
    return asciiSubject(`[batch-iam-drift] weekly digest: ${counts || 'nothing'} open in ${report.account}`);
  }
  if (report.complete && lifecycle && kind === 'changes') {
    return asciiSubject(
      `[batch-iam-drift] ${lifecycleLine(lifecycle)} in ${report.account}${counts ? ` (open: ${counts})` : ''}`,
    );
  }
  if (report.complete && report.warnings?.some((w) => w.code === 'NothingAudited')) {
    return asciiSubject(
      `[batch-iam-drift] NOTHING AUDITED in ${report.account}: no compute environment in ${report.regions.join(', ')}`,
    );
  }
  if (report.complete) return asciiSubject(`[batch-iam-drift] ${counts || 'no drift'} in ${report.account}`);
  const first = report.errors[0];
  const unread = `${report.errors.length} unread${first ? ` (${first.operation} ${first.code})` : ''}`;
  return asciiSubject(`[batch-iam-drift] INCOMPLETE in ${report.account}: ${counts ? `${counts}; ` : ''}${unread}`);
};

/** A command as inline code: Markdown is not interpreted inside it, so only backticks and Slack's &, <, > need care. */
const slackCode = (command: string): string =>
  `\`${command.replace(/`/g, "'").replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}\``;

/** A fix for Slack: its prose as text, its command as inline code (copied whole). */
const slackStep = (remediation: string): string => {
  const { before, command, after } = splitCommand(remediation);
  if (command === undefined) return clip(slackEscape(remediation), 300);
  const prose = slackEscape(before.replace(/[\s:(]+$/, ''));
  const rest = slackEscape(after.replace(/^\)/, '').trim());
  return `${prose ? `${prose}: ` : ''}${slackCode(clip(command, 300))}${rest ? ` ${rest}` : ''}`;
};

const slackPayload = (report: Report, shown: readonly Finding[], omitted: number, minSeverity: Severity) => {
  const counts = countsAtOrAbove(report, minSeverity) || 'no drift';
  const changes = report.lifecycle?.stateRead ? ` (${lifecycleLine(report.lifecycle)})` : '';
  const title = clip(
    `${report.complete ? '' : ':warning: INCOMPLETE audit, '}batch-iam-drift: ${counts} in ${report.account}${changes}`,
    SLACK_TITLE_MAX,
  );
  const top = shown.slice(0, SLACK_TOP_FINDINGS);
  const lines = top.map(
    (f) =>
      `*${f.severity.toUpperCase()}* \`${f.rule}\` ${slackEscape(f.title)} (${f.computeEnvironments.length} compute environment${f.computeEnvironments.length === 1 ? '' : 's'})`,
  );
  const more = shown.length - top.length + omitted;
  if (more > 0) lines.push(`…and ${more} more finding${more === 1 ? '' : 's'} in the email and the JSON report.`);
  for (const f of (report.lifecycle?.resolved ?? []).slice(0, SLACK_TOP_FINDINGS)) {
    lines.push(`*FIXED* \`${f.rule}\` ${slackEscape(f.title)}`);
  }
  if (!report.complete) {
    lines.push(
      `*Could not read ${report.errors.length} item${report.errors.length === 1 ? '' : 's'}:* ${report.errors
        .slice(0, 3)
        .map((e) => `${e.operation} ${slackEscape(e.resource.name)} (${slackEscape(e.code)})`)
        .join('; ')}`,
    );
  }
  if (lines.length === 0) lines.push('No drift at or above the alert threshold.');
  let description = '';
  for (const line of lines) {
    const next = description ? `${description}\n${line}` : line;
    if (next.length > SLACK_DESCRIPTION_MAX) break;
    description = next;
  }
  const nextSteps = [...new Set(top.map((f) => f.remediation))].slice(0, SLACK_NEXT_STEPS).map(slackStep);
  return {
    version: '1.0',
    source: 'custom',
    id: `${report.account}-${report.startedAt}`,
    content: {
      textType: 'client-markdown',
      title: slackEscape(title),
      description,
      nextSteps,
      keywords: [...new Set(shown.map((f) => f.rule))].slice(0, 5),
    },
    metadata: {
      // One thread per run: a thread per account forever buries each night's alert under the last.
      threadId: `batch-iam-drift-${report.account}-${report.lifecycle?.runId ?? report.startedAt}`,
      summary: clip(`batch-iam-drift: ${counts} in ${report.account}`, 200),
      eventType: report.complete ? 'BatchIamDriftAudit' : 'BatchIamDriftAuditIncomplete',
      relatedResources: [...new Set(top.map((f) => f.resource.arn))],
      additionalContext: {
        account: report.account,
        regions: report.regions.join(','),
        complete: String(report.complete),
        findings: String(report.summary.findings),
      },
    },
  };
};

const attributeBytes = (attributes: Record<string, AlertAttribute>): number =>
  Object.entries(attributes).reduce(
    (sum, [name, a]) =>
      sum + Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue),
    0,
  );

/** How much of the report an alert carries: the first `waived`, `findings` and `errors` entries. */
interface Kept {
  readonly waived: number;
  readonly findings: number;
  readonly errors: number;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

const compose = (report: Report, options: AlertOptions, keep: Kept): Alert => {
  const omittedWaived = report.waived.length - keep.waived;
  const omittedFindings = report.findings.length - keep.findings;
  const omittedErrors = report.errors.length - keep.errors;
  const kept = report.findings.slice(0, keep.findings);
  const trimmed: Report = {
    ...report,
    findings: kept,
    waived: report.waived.slice(0, keep.waived),
    errors: report.errors.slice(0, keep.errors),
    ...(omittedFindings > 0 ? { omittedFindings } : {}),
    ...(omittedErrors > 0 ? { omittedErrors } : {}),
    ...(omittedWaived > 0 ? { omittedWaived } : {}),
  };
  const shown = kept.filter((f) => atOrAbove(f.severity, options.minSeverity));
  const notes = [
    ...(options.notes ?? []),
    ...(omittedFindings > 0
      ? [
          `${plural(omittedFindings, 'least severe finding was', 'least severe findings were')} left out to fit the SNS message limit: ${omittedFindings} more in the report (run batch-iam-drift audit for all of them).`,
        ]
      : []),
    ...(omittedErrors > 0
      ? [
          `${plural(omittedErrors, 'read error was', 'read errors were')} left out to fit the SNS message limit: ${omittedErrors} more in the report.`,
        ]
      : []),
    ...(omittedWaived > 0
      ? [
          `${plural(omittedWaived, 'waived finding was', 'waived findings were')} left out to fit the SNS message limit: ${omittedWaived} more in the report.`,
        ]
      : []),
  ];
  const email = renderText(trimmed, undefined, { minSeverity: options.minSeverity, notes, width: EMAIL_WIDTH });
  const json = JSON.stringify(trimmed);
  const message = JSON.stringify({
    default: email,
    email,
    sqs: json,
    lambda: json,
    https: JSON.stringify(slackPayload(trimmed, shown, omittedFindings, options.minSeverity)),
  });
  return {
    subject: alertSubject(report, options.minSeverity, options.kind),
    message,
    attributes: attributesOf(report),
    omittedFindings,
  };
};

/** Attributes describe the whole report, whatever the message had to leave out. */
const attributesOf = (report: Report): Record<string, AlertAttribute> => ({
  severity: { DataType: 'String', StringValue: highestSeverity(report.findings) },
  findingCount: { DataType: 'Number', StringValue: String(report.findings.length) },
  account: { DataType: 'String', StringValue: report.account },
  complete: { DataType: 'String', StringValue: String(report.complete) },
  rules: {
    DataType: 'String.Array',
    StringValue: JSON.stringify([...new Set(report.findings.map((f) => f.rule))].sort()),
  },
});

/**
 * The last resort: the subject, the counts and the most severe finding's title, in every protocol, when
 * not even the report's summary fits (thousands of rule ids in the attributes, say). Never larger than
 * `max`: the text is cut to fit.
 */
const summaryAlone = (report: Report, options: AlertOptions, max: number): Alert => {
  const attributes = attributesOf(report);
  const first = report.findings[0];
  const text = [
    alertSubject(report, options.minSeverity),
    `${report.summary.findings} findings, ${report.errors.length} read errors, ${report.waived.length} waived; complete: ${report.complete}.`,
    ...(first ? [`Most severe: ${first.severity.toUpperCase()} ${first.rule} ${first.title}`] : []),
    'The full report did not fit in an SNS message: run batch-iam-drift audit for it.',
  ].join('\n');
  const build = (body: string): Alert => ({
    subject: alertSubject(report, options.minSeverity),
    message: JSON.stringify({
      default: body,
      email: body,
      sqs: JSON.stringify({
        summaryOnly: true,
        account: report.account,
        complete: report.complete,
        summary: report.summary,
      }),
      lambda: JSON.stringify({
        summaryOnly: true,
        account: report.account,
        complete: report.complete,
        summary: report.summary,
      }),
      https: JSON.stringify({
        version: '1.0',
        source: 'custom',
        content: { textType: 'client-markdown', description: slackEscape(body.slice(0, SLACK_DESCRIPTION_MAX)) },
      }),
    }),
    attributes,
    omittedFindings: report.findings.length,
  });
  let body = text;
  let alert = build(body);
  while (alertBytes(alert) > max && body.length > 0) {
    body = body.slice(0, Math.floor(body.length / 2));
    alert = build(body);
  }
  // Attributes alone over the limit: drop the rule list, the only one that grows with the report.
  if (alertBytes(alert) > max)
    return { ...alert, attributes: { ...attributes, rules: { DataType: 'String.Array', StringValue: '[]' } } };
  return alert;
};

/** The size SNS counts for a message: body, subject and attributes. */
export const alertBytes = (alert: Alert): number =>
  Buffer.byteLength(alert.message) + Buffer.byteLength(alert.subject) + attributeBytes({ ...alert.attributes });

/** The largest `n` in [0, total] for which `make(n)` fits, by binary search; `undefined` when even 0 does not. */
const largestFitting = (total: number, max: number, make: (n: number) => Alert): Alert | undefined => {
  let low = 0;
  let high = total;
  let best: Alert | undefined;
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    const candidate = make(mid);
    if (alertBytes(candidate) <= max) {
      best = candidate;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return best;
};

/**
 * Builds the one SNS message for a run, always within `maxBytes`. When everything does not fit, it
 * leaves out, in this order, waived findings (not news), then the least severe findings, then read
 * errors, each time saying how many are in the report instead; if not even the summary fits, it
 * publishes the summary alone. Attributes and the subject always describe the whole report.
 */
export const buildAlert = (report: Report, options: AlertOptions): Alert => {
  const max = options.maxBytes ?? SNS_MAX_BYTES;
  const all = { waived: report.waived.length, findings: report.findings.length, errors: report.errors.length };
  // Findings are sorted most severe first, so keeping a prefix keeps the most severe.
  return (
    largestFitting(all.waived, max, (n) => compose(report, options, { ...all, waived: n })) ??
    largestFitting(all.findings, max, (n) => compose(report, options, { ...all, waived: 0, findings: n })) ??
    largestFitting(all.errors, max, (n) => compose(report, options, { waived: 0, findings: 0, errors: n })) ??
    summaryAlone(report, options, max)
  );
};

/**
 * The alert of a `changes` run: only the new, reopened and raised findings at or above the threshold
 * (every open one on the digest day), the fixed ones, and expiring waivers; the ongoing ones counted.
 */
export const buildChangesAlert = (report: Report, announcement: Announcement, minSeverity: Severity): Alert => {
  const listed = announcement.digest
    ? report.findings
    : report.findings.filter((f) => announcement.findingIds.has(f.id));
  const ongoing = report.findings.filter(
    (f) => atOrAbove(f.severity, minSeverity) && !announcement.findingIds.has(f.id),
  ).length;
  const notes =
    !announcement.digest && ongoing > 0
      ? [
          `${ongoing} ongoing finding${ongoing === 1 ? '' : 's'} at or above ${minSeverity} ${ongoing === 1 ? 'is' : 'are'} not repeated here (the weekly digest lists every open finding; the report has them all).`,
        ]
      : [];
  return buildAlert(
    { ...report, findings: listed },
    { minSeverity, kind: announcement.digest ? 'digest' : 'changes', notes },
  );
};
