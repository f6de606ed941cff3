import { randomBytes } from 'node:crypto';
import {
  annotateFindings,
  type FindingState,
  type LifecycleChange,
  lifecycleSection,
  type Reconciled,
  type ReconcileInput,
  reconcile,
  type StateWrite,
  unreadLifecycle,
} from '../domain/lifecycle.js';
import type { AuditError } from '../domain/model.js';
import type { Report } from '../domain/report.js';
import { awsErrorCode, cleanMessage } from '../error-codes.js';
import type { FindingStateStore, FindingsHub } from '../ports.js';
import { asffId, changesToImport, toAsff } from '../render/asff.js';

/** How many times a write that met another run's write is re-read and tried again. */
const CONFLICT_ATTEMPTS = 4;

/** A run id that sorts by time: `20261130T020000Z-1a2b3c4d`. */
export const newRunId = (startedAt: Date, suffix = randomBytes(4).toString('hex')): string =>
  `${startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${suffix}`;

/** Where one account's reports are kept: the run's JSON, text and HTML, dated, and `latest.json`, written last. */
export const reportKeys = (account: string, runId: string, startedAt: string) => {
  const [yyyy, mm, dd] = startedAt.slice(0, 10).split('-');
  const base = `reports/${account}/${yyyy}/${mm}/${dd}/${runId}`;
  return {
    json: `${base}.json`,
    text: `${base}.txt`,
    html: `${base}.html`,
    latest: `reports/${account}/latest.json`,
  } as const;
};

/** What a run's lifecycle step needs. */
export interface LifecycleOptions {
  readonly store: FindingStateStore;
  readonly runId: string;
  /** False when the run audited only named compute environments. */
  readonly wholeAccount: boolean;
  readonly retentionDays: number;
  readonly now: () => Date;
  readonly signal?: AbortSignal;
}

/** A report with its lifecycle, and what is needed to write the state afterwards. */
export interface TrackedRun {
  readonly report: Report;
  /** Absent when the state could not be read: then nothing is written. */
  readonly reconciled?: Reconciled;
  readonly input?: ReconcileInput;
}

const stateError = (store: FindingStateStore, operation: string, error: unknown, what: string): AuditError => ({
  operation,
  resource: { type: 'state', name: store.location },
  code: awsErrorCode(error as Error),
  message: `${what}: ${cleanMessage((error as Error).message ?? String(error))}`.slice(0, 4000),
});

/**
 * Reads the account's state and compares the run's findings with it: each finding gets its status
 * and first-seen date, and the report a lifecycle section. State that cannot be read is an error in
 * the report (which is then incomplete): statuses are unknown, nothing is resolved, nothing written.
 */
export const trackFindings = async (report: Report, options: LifecycleOptions): Promise<TrackedRun> => {
  const { store } = options;
  let states: FindingState[];
  try {
    states = await store.load(report.account, options.signal);
  } catch (error) {
    return {
      report: {
        ...report,
        complete: false,
        errors: [
          ...report.errors,
          stateError(
            store,
            'dynamodb:Query',
            error,
            'the finding state could not be read, so every finding is reported as if new and nothing is resolved',
          ),
        ],
        lifecycle: unreadLifecycle(options.runId, store.location),
      },
    };
  }
  const input: ReconcileInput = {
    report,
    runId: options.runId,
    previous: new Map(states.map((s) => [s.id, s])),
    wholeAccount: options.wholeAccount,
    retentionDays: options.retentionDays,
    now: options.now(),
  };
  const reconciled = reconcile(input);
  return {
    report: {
      ...report,
      findings: annotateFindings(report.findings, reconciled.changes),
      lifecycle: lifecycleSection(options.runId, store.location, reconciled),
    },
    reconciled,
    input,
  };
};

/** Marks applied to the items before they are written: announced by an alert, sent to Security Hub. */
export interface WriteMarks {
  readonly alerted?: ReadonlySet<string>;
  readonly importedToHub?: ReadonlySet<string>;
  readonly at: string;
}

const mark = (writes: readonly StateWrite[], marks: WriteMarks): StateWrite[] =>
  writes.map((w) => ({
    ...w,
    state: {
      ...w.state,
      ...(marks.alerted?.has(w.state.id) ? { lastAlerted: marks.at } : {}),
      ...(marks.importedToHub?.has(w.state.id) ? { securityHubAt: marks.at } : {}),
    },
  }));

/** The outcome of writing a run's state. */
export interface CommitOutcome {
  readonly written: number;
  /** Writes that failed, one error per cause; empty when everything was written. */
  readonly errors: readonly AuditError[];
  /** Times another run's write was met, re-read and merged. */
  readonly conflictsResolved: number;
}

/**
 * Writes the run's state. When another run wrote some of the same items since they were read, the
 * account's state is read again and those items reconciled anew (a newer run's view wins), up to
 * {@link CONFLICT_ATTEMPTS} times. Whatever cannot be written is returned as errors, never thrown.
 */
export const commitLifecycle = async (
  tracked: TrackedRun,
  options: LifecycleOptions,
  marks: WriteMarks,
): Promise<CommitOutcome> => {
  if (!tracked.reconciled || !tracked.input) return { written: 0, errors: [], conflictsResolved: 0 };
  const { store } = options;
  let writes = mark(tracked.reconciled.writes, marks);
  let written = 0;
  let conflictsResolved = 0;
  const errors: AuditError[] = [];
  for (let attempt = 1; writes.length > 0; attempt++) {
    const outcome = await store.write(writes, options.signal);
    written += outcome.written;
    const byCode = new Map<string, { count: number; message: string }>();
    for (const f of outcome.failures) {
      const entry = byCode.get(f.code) ?? { count: 0, message: f.message };
      entry.count++;
      byCode.set(f.code, entry);
    }
    for (const [code, { count, message }] of byCode) {
      errors.push({
        operation: 'dynamodb:TransactWriteItems',
        resource: { type: 'state', name: store.location },
        code,
        message: `${count} finding state item${count === 1 ? ' was' : 's were'} not written, so the next run may announce ${count === 1 ? 'it' : 'them'} again: ${message}`,
      });
    }
    if (outcome.conflicts.length === 0) break;
    if (attempt === CONFLICT_ATTEMPTS) {
      errors.push({
        operation: 'dynamodb:TransactWriteItems',
        resource: { type: 'state', name: store.location },
        code: 'ConditionalCheckFailed',
        message: `${outcome.conflicts.length} finding state items kept changing under overlapping runs and were not written after ${CONFLICT_ATTEMPTS} attempts`,
      });
      break;
    }
    conflictsResolved += outcome.conflicts.length;
    let fresh: FindingState[];
    try {
      fresh = await store.load(tracked.report.account, options.signal);
    } catch (error) {
      errors.push(
        stateError(store, 'dynamodb:Query', error, 'the state could not be read again to merge an overlapping run'),
      );
      break;
    }
    const wanted = new Set(outcome.conflicts.map((w) => w.state.id));
    const again = reconcile({ ...tracked.input, previous: new Map(fresh.map((s) => [s.id, s])) });
    writes = mark(
      again.writes.filter((w) => wanted.has(w.state.id)),
      marks,
    );
  }
  return { written, errors, conflictsResolved };
};

/** The ids of the changes of some kinds. */
export const idsOf = (changes: readonly LifecycleChange[]): Set<string> => new Set(changes.map((c) => c.state.id));

/** Where Security Hub findings go: the partition, the hub's region, the tool's version. */
export interface HubTarget {
  readonly partition: string;
  readonly region: string;
  readonly version: string;
  readonly now: Date;
}

/**
 * Sends a run's changes to Security Hub (every status or severity change, and open findings it never
 * received). Returns the ids it took, and one error per finding it refused; never throws.
 */
export const importChanges = async (
  hub: FindingsHub,
  tracked: TrackedRun,
  target: HubTarget,
): Promise<{ imported: Set<string>; errors: AuditError[] }> => {
  if (!tracked.reconciled) return { imported: new Set(), errors: [] };
  const { account } = tracked.report;
  const changes = changesToImport(tracked.reconciled.changes);
  const byId = new Map(tracked.report.findings.map((f) => [f.id, f]));
  const out = await hub.import(changes.map((c) => toAsff(c, byId.get(c.state.id), { account, ...target })));
  const failed = new Set(out.failed.map((f) => f.id));
  return {
    imported: new Set(changes.map((c) => c.state.id).filter((id) => !failed.has(asffId(account, id)))),
    errors: out.failed.map((f) => ({
      operation: 'securityhub:BatchImportFindings',
      resource: { type: 'security-hub', name: f.id },
      code: f.code,
      message: f.message,
    })),
  };
};
