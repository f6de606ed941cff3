import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/domain/finding.js';
import {
  annotateFindings,
  announce,
  type FindingState,
  findingRegions,
  isDigestDay,
  lifecycleLine,
  lifecycleSection,
  type ReconcileInput,
  reconcile,
} from '../../../src/domain/lifecycle.js';
import type { Report } from '../../../src/domain/report.js';
import type { WaivedFinding } from '../../../src/domain/waivers.js';
import { findingOf, reportOf } from '../../support/report.js';

const RUN1 = '2026-11-27T03:00:00.000Z';
const RUN2 = '2026-11-28T03:00:00.000Z';
const RUN3 = '2026-11-29T03:00:00.000Z';

/** A state item written by hand: what the table held before the run. */
const stateOf = (finding: Finding, overrides: Partial<FindingState> = {}): FindingState => ({
  account: '123456789012',
  id: finding.id,
  rule: finding.rule,
  severity: finding.severity,
  title: finding.title,
  resource: finding.resource,
  roleKind: finding.roleKind,
  regions: ['us-east-1'],
  status: 'open',
  firstSeen: RUN1,
  lastSeen: RUN2,
  statusChangedAt: RUN1,
  changedBy: 'run-1',
  lastRunAt: RUN2,
  severityHistory: [],
  version: 2,
  ...overrides,
});

const input = (report: Report, previous: FindingState[], overrides: Partial<ReconcileInput> = {}): ReconcileInput => ({
  report,
  runId: 'run-3',
  previous: new Map(previous.map((s) => [s.id, s])),
  wholeAccount: true,
  retentionDays: 30,
  now: new Date(RUN3),
  ...overrides,
});

const kinds = (r: ReturnType<typeof reconcile>) =>
  Object.fromEntries(r.changes.map((c) => [c.state.id, c.kind] as const));

describe('reconcile', () => {
  const a = findingOf(1, 'high');
  const b = findingOf(2, 'critical');
  const c = findingOf(3, 'medium');

  it('opens findings seen for the first time, with the run start as first and last seen', () => {
    const result = reconcile(input(reportOf([a, b], { startedAt: RUN3 }), []));
    expect(kinds(result)).toEqual({ [a.id]: 'new', [b.id]: 'new' });
    expect(result.writes).toHaveLength(2);
    for (const write of result.writes) {
      expect(write.expectedVersion).toBeUndefined();
      expect(write.state).toMatchObject({
        status: 'open',
        firstSeen: RUN3,
        lastSeen: RUN3,
        changedBy: 'run-3',
        version: 1,
        regions: ['us-east-1'],
      });
    }
  });

  it('keeps first seen for a finding seen again, updates last seen, and expects the version it read', () => {
    const result = reconcile(input(reportOf([a], { startedAt: RUN3 }), [stateOf(a)]));
    expect(kinds(result)).toEqual({ [a.id]: 'ongoing' });
    expect(result.writes[0]).toEqual({
      expectedVersion: 2,
      state: expect.objectContaining({ firstSeen: RUN1, lastSeen: RUN3, version: 3, changedBy: 'run-1' }),
    });
  });

  it('records a severity change in the history and reports its direction', () => {
    const raised = { ...a, severity: 'critical' as const };
    const result = reconcile(input(reportOf([raised], { startedAt: RUN3 }), [stateOf(a)]));
    expect(result.changes[0]).toMatchObject({ kind: 'severity-up', previousSeverity: 'high' });
    expect(result.writes[0]?.state.severityHistory).toEqual([{ at: RUN3, from: 'high', to: 'critical' }]);
    const lowered = { ...a, severity: 'low' as const };
    expect(reconcile(input(reportOf([lowered], { startedAt: RUN3 }), [stateOf(a)])).changes[0]?.kind).toBe(
      'severity-down',
    );
  });

  it('resolves an open finding a complete whole-account run no longer sees, with a TTL after the retention', () => {
    const result = reconcile(input(reportOf([a], { startedAt: RUN3 }), [stateOf(a), stateOf(b)]));
    expect(kinds(result)).toEqual({ [a.id]: 'ongoing', [b.id]: 'resolved' });
    const resolved = result.writes.find((w) => w.state.id === b.id);
    expect(resolved).toEqual({
      expectedVersion: 2,
      state: expect.objectContaining({
        status: 'resolved',
        statusChangedAt: RUN3,
        changedBy: 'run-3',
        // 2026-11-29T03:00:00Z plus 30 days, in epoch seconds.
        expiresAt: 1_795_921_200 + 30 * 86_400,
      }),
    });
    expect(result.resolutionWithheld).toBeUndefined();
  });

  it.each([
    ['an incomplete run', { report: reportOf([a], { startedAt: RUN3, complete: false }) }, /incomplete/],
    ['a run over named compute environments', { wholeAccount: false }, /named compute environments/],
  ])('resolves nothing in %s, and says why', (_name, overrides, reason) => {
    const result = reconcile({ ...input(reportOf([a], { startedAt: RUN3 }), [stateOf(a), stateOf(b)]), ...overrides });
    expect(kinds(result)).toEqual({ [a.id]: 'ongoing' });
    expect(result.writes.map((w) => w.state.id)).toEqual([a.id]);
    expect(result.resolutionWithheld).toMatch(reason);
  });

  it('leaves open a finding that reached a region the run did not audit', () => {
    const elsewhere = stateOf(b, { regions: ['eu-west-1'] });
    const result = reconcile(input(reportOf([], { startedAt: RUN3, regions: ['us-east-1'] }), [elsewhere]));
    expect(result.changes).toEqual([]);
    expect(result.writes).toEqual([]);
  });

  it('reopens a resolved finding that comes back, keeping when it was first seen', () => {
    const result = reconcile(input(reportOf([c], { startedAt: RUN3 }), [stateOf(c, { status: 'resolved' })]));
    expect(result.changes[0]).toMatchObject({
      kind: 'reopened',
      state: { status: 'open', firstSeen: RUN1, changedBy: 'run-3' },
    });
  });

  it('neither rewrites nor resolves items a newer overlapping run wrote', () => {
    const newer = stateOf(a, { lastRunAt: '2026-11-29T04:00:00.000Z' });
    const newerB = stateOf(b, { lastRunAt: '2026-11-29T04:00:00.000Z' });
    const result = reconcile(input(reportOf([a], { startedAt: RUN3 }), [newer, newerB]));
    expect(result.writes).toEqual([]);
    expect(result.changes).toEqual([]);
  });

  it('marks waived findings waived, and tells once that a waiver expires within 14 days', () => {
    const waived: WaivedFinding = { ...a, waiver: { reason: 'migration', owner: 'team', expires: '2026-12-05' } };
    const report = reportOf([], { startedAt: RUN3, waived: [waived] });
    const first = reconcile(input(report, [stateOf(a)]));
    expect(first.changes.map((x) => x.kind)).toEqual(['waived', 'waiver-expiring']);
    expect(first.writes[0]?.state).toMatchObject({
      status: 'waived',
      waiverExpires: '2026-12-05',
      waiverExpiryAlerted: '2026-12-05',
    });
    const after = first.writes[0]?.state as FindingState;
    const second = reconcile(input(report, [{ ...after, lastRunAt: RUN2 }]));
    expect(second.changes).toEqual([]);
  });

  it('resolves a waived finding that is no longer there at all', () => {
    const result = reconcile(input(reportOf([], { startedAt: RUN3 }), [stateOf(a, { status: 'waived' })]));
    expect(kinds(result)).toEqual({ [a.id]: 'resolved' });
  });
});

describe('announce', () => {
  const high = findingOf(1, 'high');
  const low = findingOf(2, 'low');
  const run = (report: Report, previous: FindingState[]) => reconcile(input(report, previous)).changes;

  it('announces new findings at or above the threshold, not those below it nor ongoing ones', () => {
    const ongoing = findingOf(3, 'critical');
    const report = reportOf([high, low, ongoing], { startedAt: RUN3 });
    const result = announce(report, run(report, [stateOf(ongoing)]), 'medium', false);
    expect([...result.findingIds]).toEqual([high.id]);
    expect(result.due).toBe(true);
  });

  it('stays silent for an unchanged complete run, and speaks for an incomplete one', () => {
    const report = reportOf([high], { startedAt: RUN3 });
    expect(announce(report, run(report, [stateOf(high)]), 'medium', false).due).toBe(false);
    const incomplete = { ...report, complete: false };
    expect(announce(incomplete, run(incomplete, [stateOf(high)]), 'medium', false).due).toBe(true);
  });

  it('announces a severity increase that reaches the threshold, and resolutions of findings at or above it', () => {
    const raised = { ...low, severity: 'high' as const };
    const gone = findingOf(4, 'critical');
    const report = reportOf([raised], { startedAt: RUN3 });
    const result = announce(report, run(report, [stateOf(low), stateOf(gone)]), 'medium', false);
    expect([...result.findingIds]).toEqual([raised.id]);
    expect(result.resolved.map((c) => c.state.id)).toEqual([gone.id]);
  });

  it('sends the digest on its day when anything at or above the threshold is open', () => {
    const report = reportOf([high], { startedAt: RUN3 });
    expect(announce(report, run(report, [stateOf(high)]), 'medium', true)).toMatchObject({ digest: true, due: true });
    const quiet = reportOf([low], { startedAt: RUN3 });
    expect(announce(quiet, run(quiet, [stateOf(low)]), 'medium', true)).toMatchObject({ digest: false, due: false });
  });
});

describe('lifecycle helpers', () => {
  it('takes the regions from every ARN a finding reaches', () => {
    const finding = {
      ...findingOf(1, 'high'),
      jobDefinitions: ['arn:aws:batch:eu-west-1:123456789012:job-definition/jd:3'],
      eventRules: ['arn:aws:events:eu-west-1:123456789012:rule/nightly'],
    };
    expect(findingRegions(finding)).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('checks the digest weekday in UTC', () => {
    // 2026-11-30 is a Monday.
    expect(isDigestDay({ weekday: 1 }, new Date('2026-11-30T00:30:00Z'))).toBe(true);
    expect(isDigestDay({ weekday: 1 }, new Date('2026-11-29T23:30:00Z'))).toBe(false);
    expect(isDigestDay({}, new Date('2026-11-30T00:30:00Z'))).toBe(false);
  });

  it('counts new, ongoing and resolved in the summary line and annotates each finding', () => {
    const a = findingOf(1, 'high');
    const b = findingOf(2, 'high');
    const gone = findingOf(3, 'medium');
    const report = reportOf([a, b], { startedAt: RUN3 });
    const result = reconcile(input(report, [stateOf(b), stateOf(gone)]));
    const section = lifecycleSection('run-3', 'dynamodb:t', result);
    expect(lifecycleLine(section)).toBe('1 new, 1 ongoing, 1 resolved');
    expect(section.resolved).toEqual([
      {
        id: gone.id,
        rule: gone.rule,
        severity: 'medium',
        title: gone.title,
        resource: gone.resource,
        firstSeen: RUN1,
        resolvedAt: RUN3,
      },
    ]);
    expect(annotateFindings(report.findings, result.changes).map((f) => [f.id, f.status, f.firstSeen])).toEqual([
      [a.id, 'new', RUN3],
      [b.id, 'ongoing', RUN1],
    ]);
  });
});
