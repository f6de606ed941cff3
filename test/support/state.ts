import type { FindingState, StateWrite } from '../../src/domain/lifecycle.js';
import type { FindingStateStore, ReportStore, StateWriteOutcome } from '../../src/ports.js';

/**
 * An in-memory state table that checks versions as DynamoDB's conditions would; `failWrites` and
 * `failLoad` make it refuse the way an access-denied table does.
 */
export const memoryStateStore = (options: { failWrites?: boolean; failLoad?: boolean } = {}) => {
  const items = new Map<string, FindingState>();
  const store: FindingStateStore & { items: Map<string, FindingState> } = {
    location: 'dynamodb:findings',
    calls: { query: 0, transactWrite: 0 },
    items,
    async load(account) {
      store.calls.query++;
      if (options.failLoad)
        throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
      return [...items.values()].filter((s) => s.account === account);
    },
    async write(writes: readonly StateWrite[]): Promise<StateWriteOutcome> {
      store.calls.transactWrite++;
      if (options.failWrites) {
        return {
          written: 0,
          conflicts: [],
          failures: writes.map((write) => ({ write, code: 'AccessDeniedException', message: 'not authorized' })),
        };
      }
      const conflicts = writes.filter((w) => items.get(w.state.id)?.version !== w.expectedVersion);
      if (conflicts.length > 0) return { written: 0, conflicts: writes, failures: [] };
      for (const w of writes) items.set(w.state.id, w.state);
      return { written: writes.length, conflicts: [], failures: [] };
    },
  };
  return store;
};

/** An in-memory report bucket. */
export const memoryReportStore = () => {
  const objects = new Map<string, string>();
  const store: ReportStore & { objects: Map<string, string> } = {
    objects,
    location: (key) => `s3://reports/${key}`,
    async put(key, text) {
      objects.set(key, text);
    },
    async get(key) {
      return objects.get(key) ?? '';
    },
  };
  return store;
};
