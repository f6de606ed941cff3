import { type FindingState, findingRegions, lifecycleLine } from '../domain/lifecycle.js';
import { atOrAbove, SEVERITIES, type Severity } from '../domain/model.js';
import type { OrganizationReport, Report } from '../domain/report.js';

/** Colour functions; identity functions when colour is off. */
export interface Palette {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly cyan: (s: string) => string;
  readonly magenta: (s: string) => string;
  readonly green: (s: string) => string;
}

const plain = (s: string): string => s;

/** A palette that adds no escape codes. */
export const NO_COLOUR: Palette = {
  bold: plain,
  dim: plain,
  red: plain,
  yellow: plain,
  cyan: plain,
  magenta: plain,
  green: plain,
};

/**
 * Role names, policy text and status reasons come from the account: strip control characters so
 * they cannot move the cursor or recolour the terminal.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const terminalSafe = (value: string): string => value.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');

const SEVERITY_COLOUR: Record<Severity, keyof Palette> = {
  critical: 'magenta',
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  info: 'dim',
};

/** `1 role`, `2 roles`. */
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const shortName = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

/** One line that counts findings by severity, e.g. `1 critical, 2 high`. */
export const severityCounts = (report: Report): string =>
  SEVERITIES.filter((s) => report.summary.bySeverity[s] > 0)
    .map((s) => `${report.summary.bySeverity[s]} ${s}`)
    .join(', ');

/** What a text rendering shows beyond the report itself. */
export interface TextOptions {
  /** List only findings at or above this severity; the rest are counted in one line. */
  readonly minSeverity?: Severity;
  /** Extra lines after the summary, e.g. that findings were left out to fit a message. */
  readonly notes?: readonly string[];
  /**
   * Wrap at this many columns (email: 78), with continuation lines aligned under the text. A command
   * is never broken: one that does not fit goes on a line of its own, as does any single word (an
   * ARN) longer than the line.
   */
  readonly width?: number;
}

/** Where a command starts in a fix: `aws SERVICE VERB`, or a shell loop over revisions. */
const COMMAND_START = /(?:\baws [a-z0-9-]+ [a-z0-9-]+|\bfor r in )/;
/** Where it ends: prose after it (", or …", ", then …", " (the …)") or a closing parenthesis. */
const COMMAND_END = /\)(?=[,.]?(?:\s|$))|, or |, then | \((?:the|where) /;

/** Splits a fix into the prose before a command, the command, and the prose after it. */
export const splitCommand = (text: string): { before: string; command?: string; after: string } => {
  const start = text.search(COMMAND_START);
  if (start < 0) return { before: text, after: '' };
  const rest = text.slice(start);
  const end = rest.search(COMMAND_END);
  const command = (end < 0 ? rest : rest.slice(0, end)).trimEnd();
  return { before: text.slice(0, start), command, after: rest.slice(command.length) };
};

/** Words to wrap, a command kept as one word with the punctuation around it. */
const tokens = (text: string): string[] => {
  const { before, command, after } = splitCommand(text);
  if (command === undefined) return text.split(' ').filter(Boolean);
  const head = before.split(' ').filter(Boolean);
  const tail = after.split(' ').filter(Boolean);
  // "(aws … get-policy-version)," stays one word: punctuation touching the command travels with it.
  const glued = `${before.endsWith(' ') || before === '' ? '' : (head.pop() ?? '')}${command}${after.startsWith(' ') || after === '' ? '' : (tail.shift() ?? '')}`;
  return [...head, glued, ...tail];
};

/** Wraps one line greedily at `width`, continuation lines indented to where its text starts. */
const wrapLine = (line: string, width: number): string[] => {
  if (line.length <= width) return [line];
  const label = /^(\s*(?:[a-z][a-z ]*:\s+|\[[a-z-]+\]\s|fixed:\s)?)/.exec(line)?.[1] ?? '';
  const indent = ' '.repeat(label.length);
  const out: string[] = [];
  let current = label;
  for (const word of tokens(line.slice(label.length))) {
    const blank = current.trim() === '' || current === label;
    const next = blank ? `${current}${word}` : `${current} ${word}`;
    if (next.length <= width || blank) {
      current = next;
    } else {
      out.push(current);
      current = `${indent}${word}`;
    }
  }
  out.push(current);
  return out;
};

/** Renders the report for a terminal or a plain-text mail body: summary, then findings grouped by severity, then errors. */
export const renderText = (report: Report, colour: Palette = NO_COLOUR, options: TextOptions = {}): string => {
  const lines: string[] = [];
  const { summary } = report;
  lines.push(
    colour.bold(`${report.tool.name} ${report.tool.version}: account ${report.account}, ${report.regions.join(', ')}`),
  );
  const counts = severityCounts(report);
  lines.push(
    `${count(summary.computeEnvironments, 'compute environment')}, ${count(summary.roles, 'role')} audited, ${count(summary.findings, 'finding')}${counts ? `: ${counts}` : ''}${summary.waived ? ` (${summary.waived} waived)` : ''}`,
  );
  if (report.lifecycle) lines.push(colour.bold(lifecycleLine(report.lifecycle)));
  lines.push(colour.dim(`baseline: ${terminalSafe(report.baseline.source)}`));
  if (report.reportLocation) lines.push(colour.dim(`report: ${terminalSafe(report.reportLocation)}`));
  if (!report.complete) {
    lines.push(
      colour.red(
        colour.bold(
          `AUDIT INCOMPLETE: ${report.errors.length} read${report.errors.length === 1 ? '' : 's'} failed. Findings are a lower bound, not a clean bill.`,
        ),
      ),
    );
  } else if (report.warnings?.some((w) => w.code === 'NothingAudited')) {
    lines.push(colour.yellow(colour.bold(`Nothing audited: no compute environment in ${report.regions.join(', ')}.`)));
    lines.push('Check the regions and the account the credentials belong to; "no drift" would be misleading.');
  } else if (summary.findings === 0) {
    lines.push(colour.green('No drift found.'));
  }
  for (const note of options.notes ?? []) lines.push(note);
  if (report.lifecycle?.resolutionWithheld)
    lines.push(`Open findings not seen were left open: ${report.lifecycle.resolutionWithheld}.`);
  const raised = new Map(report.lifecycle?.severityChanges.map((c) => [c.id, c.from]) ?? []);
  const shown = SEVERITIES.filter((s) => options.minSeverity === undefined || atOrAbove(s, options.minSeverity));
  const hidden = report.findings.filter((f) => !shown.includes(f.severity)).length;
  if (hidden > 0) {
    lines.push(
      `${count(hidden, 'finding')} below ${options.minSeverity} ${hidden === 1 ? 'is' : 'are'} listed in the JSON report only.`,
    );
  }
  for (const severity of shown) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    const paint = colour[SEVERITY_COLOUR[severity]];
    lines.push('', paint(colour.bold(`${severity.toUpperCase()} (${group.length})`)));
    for (const finding of group) {
      lines.push(`  ${paint(`[${finding.rule}]`)} ${terminalSafe(finding.title)}`);
      if (finding.status) {
        const from = raised.get(finding.id);
        lines.push(
          `    status:    ${finding.status}${finding.firstSeen ? `, first seen ${finding.firstSeen.slice(0, 10)}` : ''}${from ? `, severity was ${from}` : ''}`,
        );
      }
      lines.push(`    resource:  ${finding.resource.type} ${terminalSafe(finding.resource.arn)}`);
      const regions = findingRegions(finding);
      if (regions.length > 0) lines.push(`    regions:   ${regions.join(', ')}`);
      lines.push(`    expected:  ${terminalSafe(finding.expected)}`);
      lines.push(`    actual:    ${terminalSafe(finding.actual)}`);
      const names = (arns: readonly string[]) => arns.map((arn) => terminalSafe(shortName(arn))).join(', ');
      // A job or EventBridge role reaches no compute environment itself: say what it is used by.
      const usedBy =
        names(finding.computeEnvironments) ||
        (finding.jobDefinitions.length || finding.eventRules.length
          ? 'no compute environment directly; used by the job definitions and rules below'
          : 'no compute environment in the audited regions');
      lines.push(`    affects:   ${usedBy}`);
      if (finding.jobQueues.length) lines.push(`    queues:    ${names(finding.jobQueues)}`);
      if (finding.jobDefinitions.length) lines.push(`    job defs:  ${names(finding.jobDefinitions)}`);
      if (finding.eventRules.length) lines.push(`    rules:     ${names(finding.eventRules)}`);
      lines.push(`    fix:       ${terminalSafe(finding.remediation)}`);
      lines.push(colour.dim(`    id:        ${finding.id}`));
    }
  }
  const fixed = report.lifecycle?.resolved ?? [];
  if (fixed.length > 0) {
    lines.push('', colour.green(colour.bold(`FIXED SINCE THE LAST RUN (${fixed.length})`)));
    for (const f of fixed) {
      lines.push(
        `  fixed: [${f.rule}] ${terminalSafe(f.title)} (${f.severity}, first seen ${f.firstSeen.slice(0, 10)})`,
      );
      lines.push(colour.dim(`    id:        ${f.id}`));
    }
  }
  if (report.waived.length > 0) {
    lines.push('', colour.dim(colour.bold(`WAIVED (${report.waived.length})`)));
    for (const finding of report.waived) {
      lines.push(
        `  [${finding.rule}] ${terminalSafe(finding.title)}: waived until ${finding.waiver.expires} by ${terminalSafe(finding.waiver.owner)} (${terminalSafe(finding.waiver.reason)})`,
      );
    }
  }
  if (report.waiversExpiringSoon.length > 0) {
    lines.push(
      '',
      colour.yellow(colour.bold(`WAIVERS EXPIRING WITHIN 14 DAYS (${report.waiversExpiringSoon.length})`)),
    );
    for (const waiver of report.waiversExpiringSoon) {
      lines.push(
        `  ${waiver.rule} on ${terminalSafe(waiver.resource)} expires ${waiver.expires} (owner ${terminalSafe(waiver.owner)})`,
      );
    }
  }
  if (report.errors.length > 0) {
    lines.push('', colour.red(colour.bold(`COULD NOT READ (${report.errors.length})`)));
    for (const error of report.errors) {
      lines.push(
        `  ${error.operation} ${error.resource.type} ${terminalSafe(error.resource.name)}: ${error.code}: ${terminalSafe(error.message)}`,
      );
    }
  }
  if (report.findings.length > 0 || fixed.length > 0) {
    lines.push(
      '',
      colour.dim(
        "id: the finding's fingerprint (rule, resource, role kind, subject), the same on every run; waivers, the state table and Security Hub key on it.",
      ),
    );
  }
  const width = options.width;
  return `${(width ? lines.flatMap((line) => wrapLine(line, width)) : lines).join('\n')}\n`;
};

/**
 * Renders an organisation report: one summary, the accounts that could not be audited, then each
 * account's report as {@link renderText} renders it, under a header naming the account.
 */
export const renderOrganizationText = (report: OrganizationReport, colour: Palette = NO_COLOUR): string => {
  const { summary } = report;
  const counts = SEVERITIES.filter((s) => summary.bySeverity[s] > 0)
    .map((s) => `${summary.bySeverity[s]} ${s}`)
    .join(', ');
  const lines = [
    colour.bold(
      `${report.tool.name} ${report.tool.version}: organisation run over ${summary.accounts + report.errors.length} accounts`,
    ),
    `${count(summary.accounts, 'account')} audited, ${count(summary.computeEnvironments, 'compute environment')}, ${count(summary.roles, 'role')}, ${count(summary.findings, 'finding')}${counts ? `: ${counts}` : ''}`,
  ];
  if (!report.complete) {
    const incomplete = report.accounts.filter((r) => !r.complete).length;
    lines.push(
      colour.red(
        colour.bold(
          `RUN INCOMPLETE: ${report.errors.length} account${report.errors.length === 1 ? '' : 's'} not audited, ${incomplete} audited incompletely. Findings are a lower bound.`,
        ),
      ),
    );
  }
  if (report.errors.length > 0) {
    lines.push('', colour.red(colour.bold(`ACCOUNTS NOT AUDITED (${report.errors.length})`)));
    for (const error of report.errors) {
      lines.push(
        `  ${error.account}${error.role ? ` via ${terminalSafe(error.role)}` : ''}: ${error.operation} ${error.code}: ${terminalSafe(error.message)}`,
      );
    }
  }
  const sections = report.accounts.map(
    (account) => `${colour.bold(`== account ${account.account} ==`)}\n${renderText(account, colour)}`,
  );
  return `${[lines.join('\n'), ...sections].join('\n')}\n`;
};

/** Renders the state table's findings (`batch-iam-drift findings`): one block per finding. */
export const renderStates = (states: readonly FindingState[], table: string, colour: Palette = NO_COLOUR): string => {
  const lines = [colour.bold(`${count(states.length, 'finding')} in ${terminalSafe(table)}`)];
  for (const s of states) {
    const paint = colour[SEVERITY_COLOUR[s.severity]];
    lines.push(
      '',
      `${s.status.toUpperCase()} ${paint(s.severity)} [${s.rule}] ${terminalSafe(s.title)}`,
      `  resource:   ${s.resource.type} ${terminalSafe(s.resource.arn)}`,
      `  first seen: ${s.firstSeen}  last seen: ${s.lastSeen}`,
      `  ${s.status} since ${s.statusChangedAt} (run ${terminalSafe(s.changedBy)})${s.waiverExpires ? `, waiver expires ${s.waiverExpires}` : ''}`,
      colour.dim(`  id:         ${s.id}`),
    );
  }
  return `${lines.join('\n')}\n`;
};
