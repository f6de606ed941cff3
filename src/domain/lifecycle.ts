import type { Finding, FindingResource, RuleId } from './finding.js';
import { atOrAbove, type Severity, severityRank } from './model.js';
import type { Report } from './report.js';
import { EXPIRING_SOON_DAYS, type WaivedFinding } from './waivers.js';

/** Where a finding stands across runs. */
export type FindingStatus = 'open' | 'resolved' | 'waived';

/** A severity change recorded on a finding. */
export interface SeverityChange {
  readonly at: string;
  readonly from: Severity;
  readonly to: Severity;
}

/**
 * One finding's state across runs: what the state table holds, keyed by account and finding id. It
 * keeps the finding's id, rule, severity, title, resource and role kind as last seen.
 */
export interface FindingState extends Pick<Finding, 'id' | 'rule' | 'severity' | 'title' | 'resource' | 'roleKind'> {
  readonly account: string;
  /** The regions of the workloads the finding reaches; empty when it reaches none. */
  readonly regions: readonly string[];
  readonly status: FindingStatus;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** When an alert last announced a change of this finding. */
  readonly lastAlerted?: string;
  /** When the status last changed, and the run that changed it. */
  readonly statusChangedAt: string;
  readonly changedBy: string;
  /** The start of the last run that wrote the item: an older run never overwrites a newer one's view. */
  readonly lastRunAt: string;
  readonly severityHistory: readonly SeverityChange[];
  /** For a waived finding: the day its waiver expires, and whether an alert already said it soon will. */
  readonly waiverExpires?: string;
  readonly waiverExpiryAlerted?: string;
  /** When Security Hub last received this finding (absent when it never did). */
  readonly securityHubAt?: string;
  /** Epoch seconds after which DynamoDB's TTL deletes a resolved item. */
  readonly expiresAt?: number;
  /** Optimistic-locking counter: every write expects the version it read. */
  readonly version: number;
}

/** What happened to a finding in this run. */
export type ChangeKind =
  | 'new'
  | 'reopened'
  | 'ongoing'
  | 'severity-up'
  | 'severity-down'
  | 'resolved'
  | 'waived'
  | 'waiver-expiring';

/** One change of one finding, with the state after it. */
export interface LifecycleChange {
  readonly kind: ChangeKind;
  readonly state: FindingState;
  /** The severity before a severity change. */
  readonly previousSeverity?: Severity;
}

/** An item to write: the new state, and the version it must still have in the table (absent: must not exist). */
export interface StateWrite {
  readonly state: FindingState;
  readonly expectedVersion?: number;
}

/** The findings that a run resolved, as the report lists them. */
export interface ResolvedFinding {
  readonly id: string;
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly title: string;
  readonly resource: FindingResource;
  readonly firstSeen: string;
  readonly resolvedAt: string;
}

/** The lifecycle part of a report, present when a state table is configured. */
export interface ReportLifecycle {
  readonly runId: string;
  /** Where the state lives, e.g. `dynamodb:batch-iam-drift-findings`. */
  readonly state: string;
  /** False when the state could not be read: statuses are then unknown and nothing was resolved. */
  readonly stateRead: boolean;
  readonly summary: {
    readonly new: number;
    readonly ongoing: number;
    readonly resolved: number;
    readonly severityChanged: number;
  };
  readonly resolved: readonly ResolvedFinding[];
  readonly severityChanges: readonly { readonly id: string; readonly from: Severity; readonly to: Severity }[];
  /** Waived findings whose waiver expires within 14 days and that no alert has announced yet. */
  readonly waiversExpiring: readonly { readonly id: string; readonly title: string; readonly expires: string }[];
  /** Why open findings this run did not see were left open, when they were. */
  readonly resolutionWithheld?: string;
}

/** What a run contributes to the lifecycle. */
export interface ReconcileInput {
  readonly report: Report;
  readonly runId: string;
  /** The state read at the start of this step, for the report's account. */
  readonly previous: ReadonlyMap<string, FindingState>;
  /** False when the run audited only named compute environments: it resolves nothing. */
  readonly wholeAccount: boolean;
  /** How long a resolved item is kept before DynamoDB's TTL removes it. */
  readonly retentionDays: number;
  readonly now: Date;
}

/** The outcome: every change, the writes that record them, and why nothing was resolved when so. */
export interface Reconciled {
  readonly changes: readonly LifecycleChange[];
  readonly writes: readonly StateWrite[];
  readonly resolutionWithheld?: string;
}

/** How many severity changes an item keeps. */
const HISTORY_MAX = 10;

/** The regions in the ARNs of everything a finding reaches (`arn:PARTITION:batch:REGION:...`). */
export const findingRegions = (finding: Finding): string[] =>
  [
    ...new Set(
      [...finding.computeEnvironments, ...finding.jobQueues, ...finding.jobDefinitions, ...finding.eventRules]
        .map((arn) => arn.split(':')[3] ?? '')
        .filter((region) => region !== ''),
    ),
  ].sort();

const day = (date: Date): string => date.toISOString().slice(0, 10);

/** The state of a finding seen this run, from what it was before (or nothing). */
const seen = (
  finding: Finding,
  status: 'open' | 'waived',
  before: FindingState | undefined,
  input: ReconcileInput,
): FindingState => {
  const at = input.report.startedAt;
  const changed = before?.status !== status;
  const history =
    before && before.severity !== finding.severity
      ? [...before.severityHistory, { at, from: before.severity, to: finding.severity }].slice(-HISTORY_MAX)
      : (before?.severityHistory ?? []);
  return {
    account: input.report.account,
    id: finding.id,
    rule: finding.rule,
    severity: finding.severity,
    title: finding.title,
    resource: finding.resource,
    roleKind: finding.roleKind,
    regions: findingRegions(finding),
    status,
    firstSeen: before?.firstSeen ?? at,
    lastSeen: at,
    ...(before?.lastAlerted ? { lastAlerted: before.lastAlerted } : {}),
    ...(before?.securityHubAt ? { securityHubAt: before.securityHubAt } : {}),
    statusChangedAt: changed ? at : (before?.statusChangedAt ?? at),
    changedBy: changed ? input.runId : (before?.changedBy ?? input.runId),
    lastRunAt: at,
    severityHistory: history,
    ...(status === 'waived' && 'waiver' in finding ? { waiverExpires: (finding as WaivedFinding).waiver.expires } : {}),
    ...(status === 'waived' && before?.waiverExpiryAlerted ? { waiverExpiryAlerted: before.waiverExpiryAlerted } : {}),
    version: (before?.version ?? 0) + 1,
  };
};

/** Why a run resolves nothing it did not see: it could not read everything, or it audited a part of the account. */
const withheld = (input: ReconcileInput): string | undefined => {
  if (!input.report.complete)
    return 'the audit is incomplete: a finding it did not see may only be unreadable, so nothing was resolved';
  if (!input.wholeAccount) return 'the run audited named compute environments only, so nothing else was resolved';
  return undefined;
};

/**
 * Compares a run's findings with the state before it. Findings seen for the first time are `new`
 * (`reopened` when they had been resolved or waived); findings seen again are `ongoing`, with a
 * severity change recorded; open or waived findings that a complete, whole-account run no longer sees
 * are `resolved` when every region they reached was audited. An older run (one that started before
 * the run that last wrote an item) leaves that item alone. Pure: the caller writes `writes`.
 */
export const reconcile = (input: ReconcileInput): Reconciled => {
  const { report, previous } = input;
  const changes: LifecycleChange[] = [];
  const writes: StateWrite[] = [];
  const at = report.startedAt;
  const newer = (before: FindingState | undefined) => before !== undefined && before.lastRunAt > at;
  const record = (state: FindingState, before: FindingState | undefined) =>
    writes.push({ state, ...(before ? { expectedVersion: before.version } : {}) });
  const seenIds = new Set<string>();

  for (const finding of report.findings) {
    seenIds.add(finding.id);
    const before = previous.get(finding.id);
    if (newer(before)) continue;
    const state = seen(finding, 'open', before, input);
    record(state, before);
    if (before === undefined) changes.push({ kind: 'new', state });
    else if (before.status !== 'open') changes.push({ kind: 'reopened', state });
    else if (severityRank(finding.severity) < severityRank(before.severity))
      changes.push({ kind: 'severity-up', state, previousSeverity: before.severity });
    else if (severityRank(finding.severity) > severityRank(before.severity))
      changes.push({ kind: 'severity-down', state, previousSeverity: before.severity });
    else changes.push({ kind: 'ongoing', state });
  }

  const soon = day(new Date(input.now.getTime() + EXPIRING_SOON_DAYS * 86_400_000));
  for (const finding of report.waived) {
    seenIds.add(finding.id);
    const before = previous.get(finding.id);
    if (newer(before)) continue;
    let state = seen(finding, 'waived', before, input);
    if (before?.status === 'open' || before === undefined) changes.push({ kind: 'waived', state });
    if (finding.waiver.expires <= soon && state.waiverExpiryAlerted !== finding.waiver.expires) {
      state = { ...state, waiverExpiryAlerted: finding.waiver.expires };
      changes.push({ kind: 'waiver-expiring', state });
    }
    record(state, before);
  }

  const reason = withheld(input);
  const audited = new Set(report.regions);
  for (const before of previous.values()) {
    if (seenIds.has(before.id) || before.status === 'resolved' || newer(before)) continue;
    // A finding that reached a region this run did not audit may still be there.
    if (reason !== undefined || !before.regions.every((region) => audited.has(region))) continue;
    const state: FindingState = {
      ...before,
      status: 'resolved',
      statusChangedAt: at,
      changedBy: input.runId,
      lastRunAt: at,
      expiresAt: Math.floor(input.now.getTime() / 1000) + input.retentionDays * 86_400,
      version: before.version + 1,
    };
    record(state, before);
    changes.push({ kind: 'resolved', state });
  }
  const stillOpen = [...previous.values()].some((s) => s.status !== 'resolved' && !seenIds.has(s.id));
  return { changes, writes, ...(reason !== undefined && stillOpen ? { resolutionWithheld: reason } : {}) };
};

/** When the weekly digest of everything open is sent. */
export interface DigestSchedule {
  /** 0 = Sunday … 6 = Saturday (UTC), or undefined for no digest. */
  readonly weekday?: number;
}

/** What an alert in `changes` mode announces. */
export interface Announcement {
  /** New and reopened findings at or above the threshold, and findings whose severity rose to it. */
  readonly findingIds: ReadonlySet<string>;
  /** Resolved findings at or above the threshold. */
  readonly resolved: readonly LifecycleChange[];
  readonly waiversExpiring: readonly LifecycleChange[];
  /** True on the digest day: every open finding at or above the threshold is listed. */
  readonly digest: boolean;
  /** True when there is anything to say: a change above, a digest, or an incomplete run. */
  readonly due: boolean;
}

/**
 * Decides what a `changes`-mode alert says: new findings at or above the threshold, severity
 * increases that reach it, resolutions of findings at or above it, waivers about to expire, and, on
 * the digest day of a scheduled run, every open finding. An incomplete run is always announced.
 */
export const announce = (
  report: Report,
  changes: readonly LifecycleChange[],
  minSeverity: Severity,
  digestDue: boolean,
): Announcement => {
  const reaches = (c: LifecycleChange) => atOrAbove(c.state.severity, minSeverity);
  const findingIds = new Set(
    changes
      .filter((c) => (c.kind === 'new' || c.kind === 'reopened' || c.kind === 'severity-up') && reaches(c))
      .map((c) => c.state.id),
  );
  const resolved = changes.filter((c) => c.kind === 'resolved' && reaches(c));
  const waiversExpiring = changes.filter((c) => c.kind === 'waiver-expiring');
  const digest = digestDue && report.findings.some((f) => atOrAbove(f.severity, minSeverity));
  return {
    findingIds,
    resolved,
    waiversExpiring,
    digest,
    due: findingIds.size > 0 || resolved.length > 0 || waiversExpiring.length > 0 || digest || !report.complete,
  };
};

/** Whether `now` falls on the digest weekday (UTC). */
export const isDigestDay = (schedule: DigestSchedule, now: Date): boolean =>
  schedule.weekday !== undefined && now.getUTCDay() === schedule.weekday;

/** The report's lifecycle section from a run's changes. */
export const lifecycleSection = (runId: string, state: string, reconciled: Reconciled): ReportLifecycle => {
  const of = (...kinds: ChangeKind[]) => reconciled.changes.filter((c) => kinds.includes(c.kind));
  const severityChanges = of('severity-up', 'severity-down').map((c) => ({
    id: c.state.id,
    from: c.previousSeverity as Severity,
    to: c.state.severity,
  }));
  return {
    runId,
    state,
    stateRead: true,
    summary: {
      new: of('new', 'reopened').length,
      ongoing: of('ongoing', 'severity-up', 'severity-down').length,
      resolved: of('resolved').length,
      severityChanged: severityChanges.length,
    },
    resolved: of('resolved').map(({ state: s }) => ({
      id: s.id,
      rule: s.rule,
      severity: s.severity,
      title: s.title,
      resource: s.resource,
      firstSeen: s.firstSeen,
      resolvedAt: s.statusChangedAt,
    })),
    severityChanges,
    waiversExpiring: of('waiver-expiring').map((c) => ({
      id: c.state.id,
      title: c.state.title,
      expires: c.state.waiverExpires ?? '',
    })),
    ...(reconciled.resolutionWithheld ? { resolutionWithheld: reconciled.resolutionWithheld } : {}),
  };
};

/** The lifecycle section of a run whose state could not be read: statuses unknown, nothing resolved. */
export const unreadLifecycle = (runId: string, state: string): ReportLifecycle => ({
  runId,
  state,
  stateRead: false,
  summary: { new: 0, ongoing: 0, resolved: 0, severityChanged: 0 },
  resolved: [],
  severityChanges: [],
  waiversExpiring: [],
  resolutionWithheld: 'the state could not be read: statuses are unknown and nothing was resolved',
});

/** `2 new, 5 ongoing, 1 resolved`. */
export const lifecycleLine = (lifecycle: ReportLifecycle): string =>
  lifecycle.stateRead
    ? `${lifecycle.summary.new} new, ${lifecycle.summary.ongoing} ongoing, ${lifecycle.summary.resolved} resolved`
    : 'finding history unavailable (the state could not be read)';

/**
 * Adds each finding's `status` (`new` or `ongoing`) and `firstSeen` from the state after the run.
 * Findings an older, overlapping run saw are left as they are.
 */
export const annotateFindings = (findings: readonly Finding[], changes: readonly LifecycleChange[]): Finding[] => {
  const byId = new Map(changes.map((c) => [c.state.id, c]));
  return findings.map((finding) => {
    const change = byId.get(finding.id);
    if (!change) return finding;
    const status = change.kind === 'new' || change.kind === 'reopened' ? 'new' : 'ongoing';
    return { ...finding, status, firstSeen: change.state.firstSeen };
  });
};

/** Which items `batch-iam-drift findings` lists. */
export interface StateFilter {
  readonly status?: FindingStatus;
  /** Only items whose status changed on or after this instant (ISO 8601). */
  readonly since?: string;
}

/** The items a filter keeps, most severe first, then most recently changed. */
export const filterStates = (states: readonly FindingState[], filter: StateFilter): FindingState[] =>
  states
    .filter(
      (s) =>
        (filter.status === undefined || s.status === filter.status) &&
        (filter.since === undefined || s.statusChangedAt >= filter.since),
    )
    .sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        b.statusChangedAt.localeCompare(a.statusChangedAt) ||
        a.id.localeCompare(b.id),
    );
