import { describe, expect, it } from 'vitest';
import { commitLifecycle, importChanges, newRunId, reportKeys, trackFindings } from '../../../src/app/lifecycle.js';
import type { AsffFinding, FindingsHub } from '../../../src/ports.js';
import { findingOf, reportOf } from '../../support/report.js';
import { memoryStateStore } from '../../support/state.js';

const options = (store: ReturnType<typeof memoryStateStore>, runId: string) => ({
  store,
  runId,
  wholeAccount: true,
  retentionDays: 30,
  now: () => new Date('2026-11-29T04:00:00Z'),
});

/** A hub that keeps what it is sent and refuses the ids it is told to. */
const hub = (refuse: string[] = []) => {
  const sent: AsffFinding[][] = [];
  const fake: FindingsHub & { sent: AsffFinding[][] } = {
    sent,
    async import(findings) {
      sent.push([...findings]);
      const failed = findings
        .filter((f) => refuse.includes(f.Id))
        .map((f) => ({ id: f.Id, code: 'InvalidInput', message: 'refused' }));
      return { imported: findings.length - failed.length, failed };
    },
  };
  return fake;
};

describe('the lifecycle steps', () => {
  it('names runs by time and keeps reports under the account and day', () => {
    const id = newRunId(new Date('2026-11-29T03:04:05.678Z'), 'abcdef01');
    expect(id).toBe('20261129T030405Z-abcdef01');
    expect(reportKeys('123456789012', id, '2026-11-29T03:04:05.678Z')).toEqual({
      json: 'reports/123456789012/2026/11/29/20261129T030405Z-abcdef01.json',
      text: 'reports/123456789012/2026/11/29/20261129T030405Z-abcdef01.txt',
      html: 'reports/123456789012/2026/11/29/20261129T030405Z-abcdef01.html',
      latest: 'reports/123456789012/latest.json',
    });
  });

  it('imports new findings into Security Hub once, reports a refused one, and sends it again next run', async () => {
    const store = memoryStateStore();
    const a = findingOf(1, 'high');
    const b = findingOf(2, 'critical');
    const first = await trackFindings(
      reportOf([a, b], { startedAt: '2026-11-28T03:00:00.000Z' }),
      options(store, 'r1'),
    );
    const target = { partition: 'aws', region: 'us-east-1', version: '0.1.0', now: new Date('2026-11-28T04:00:00Z') };
    const refusing = hub([`batch-iam-drift/123456789012/${b.id}`]);
    const out = await importChanges(refusing, first, target);
    expect([...out.imported]).toEqual([a.id]);
    expect(out.errors).toEqual([
      {
        operation: 'securityhub:BatchImportFindings',
        resource: { type: 'security-hub', name: `batch-iam-drift/123456789012/${b.id}` },
        code: 'InvalidInput',
        message: 'refused',
      },
    ]);
    // In report order: the critical one first.
    expect(refusing.sent[0]?.map((f) => [f.Id, f.RecordState, (f.Workflow as { Status: string }).Status])).toEqual([
      [`batch-iam-drift/123456789012/${b.id}`, 'ACTIVE', 'NEW'],
      [`batch-iam-drift/123456789012/${a.id}`, 'ACTIVE', 'NEW'],
    ]);
    await commitLifecycle(first, options(store, 'r1'), { importedToHub: out.imported, at: '2026-11-28T04:00:00.000Z' });

    // Next run, nothing changed: only the finding Security Hub never took is sent again.
    const second = await trackFindings(
      reportOf([a, b], { startedAt: '2026-11-29T03:00:00.000Z' }),
      options(store, 'r2'),
    );
    const again = hub();
    await importChanges(again, second, target);
    expect(again.sent[0]?.map((f) => f.Id)).toEqual([`batch-iam-drift/123456789012/${b.id}`]);
  });
});
