// npm run bench:lifecycle [-- FINDINGS]: the finding state's cost for one account with FINDINGS open
// findings (default 10,000), with the real adapter (src/aws/finding-state.ts) and the real SDK:
// run 1 opens every finding; run 2 sees them all again (last seen moves); run 3 sees all but 1%
// (resolved) and 1% new ones. Reads go to a local moto_server, which pages Query answers at 1 MB by
// DynamoDB's item-size rules. Transactions go to a local sink that answers every TransactWriteItems
// with success and counts the calls and bytes (moto copies the whole table for each transaction,
// which makes 10,000 items take hours there); what they would write is then loaded into moto with
// BatchWriteItem, so the next run reads it. Prints one JSON line.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchWriteItemCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { commitLifecycle, trackFindings } from '../src/app/lifecycle.js';
import { createDynamoStateStore, STATE_KEY } from '../src/aws/finding-state.js';
import type { Finding } from '../src/domain/finding.js';
import { countBySeverity, type Report } from '../src/domain/report.js';
import type { FindingStateStore } from '../src/ports.js';
import { createStateTable } from '../test/support/lambda.js';
import { startMoto } from '../test/support/moto.js';

const total = Number(process.argv[2] ?? '10000');
const ACCOUNT = '123456789012';

const finding = (i: number): Finding => ({
  id: i.toString(16).padStart(16, '0'),
  rule: 'managed-policy-unexpected',
  severity: i % 10 === 0 ? 'high' : 'medium',
  title: `instance-role role-${i} has AmazonS3FullAccess attached, which the baseline does not expect`,
  resource: { type: 'role', arn: `arn:aws:iam::${ACCOUNT}:role/batch/role-${i}`, name: `role-${i}` },
  roleKind: 'instance-role',
  subject: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
  computeEnvironments: [`arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/ce-${i % 50}`],
  jobQueues: [],
  jobDefinitions: [],
  eventRules: [],
  related: [],
  expected: 'managed policies: AmazonEC2ContainerServiceforEC2Role',
  actual: 'AmazonS3FullAccess is also attached',
  remediation: `aws iam detach-role-policy --role-name role-${i} --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess`,
});

const report = (ids: number[], startedAt: string): Report => {
  const findings = ids.map(finding);
  return {
    schemaVersion: 1,
    tool: { name: 'batch-iam-drift', version: 'bench' },
    account: ACCOUNT,
    regions: ['us-east-1'],
    startedAt,
    finishedAt: startedAt,
    complete: true,
    summary: {
      computeEnvironments: 50,
      roles: total,
      findings: findings.length,
      bySeverity: countBySeverity(findings),
      waived: 0,
    },
    baseline: { source: 'bench' },
    findings,
    waived: [],
    waiversExpiringSoon: [],
    errors: [],
  };
};

/** Answers every request with `{}` (a successful TransactWriteItems), counting calls and request bytes. */
const sink = { calls: 0, bytes: 0 };
const server = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => {
    sink.bytes += chunk.length;
  });
  req.on('end', () => {
    sink.calls++;
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const sinkEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const moto = await startMoto();
try {
  const aws = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const client = new DynamoDBClient({ ...aws, endpoint: moto.endpoint });
  const writer = new DynamoDBClient({ ...aws, endpoint: sinkEndpoint });
  await createStateTable(client, 'findings');
  const all = Array.from({ length: total }, (_, i) => i);
  const gone = Math.ceil(total / 100);
  const runs = [
    { name: 'first (all new)', ids: all },
    { name: 'unchanged (all seen again)', ids: all },
    { name: '1% fixed, 1% new', ids: [...all.slice(gone), ...all.map((i) => i + total).slice(0, gone)] },
  ];
  const results = [];
  for (const [n, run] of runs.entries()) {
    const reads = createDynamoStateStore(client, 'findings');
    const writes = createDynamoStateStore(writer, 'findings');
    const store: FindingStateStore = {
      location: reads.location,
      calls: reads.calls,
      load: (account, signal) => reads.load(account, signal),
      async write(items, signal) {
        const outcome = await writes.write(items, signal);
        reads.calls.transactWrite = writes.calls.transactWrite;
        for (let i = 0; i < items.length; i += 25) {
          await client.send(
            new BatchWriteItemCommand({
              RequestItems: {
                findings: items.slice(i, i + 25).map(({ state: { id, ...rest } }) => ({
                  PutRequest: { Item: marshall({ ...rest, [STATE_KEY.sort]: id }, { removeUndefinedValues: true }) },
                })),
              },
            }),
          );
        }
        return outcome;
      },
    };
    const before = { ...sink };
    const options = {
      store,
      runId: `bench-${n}`,
      wholeAccount: true,
      retentionDays: 90,
      now: () => new Date(`2026-11-2${n + 1}T04:00:00Z`),
    };
    const started = performance.now();
    const tracked = await trackFindings(report(run.ids, `2026-11-2${n + 1}T03:00:00.000Z`), options);
    const readMs = Math.round(performance.now() - started);
    const read = { ...store.calls };
    const outcome = await commitLifecycle(tracked, options, { at: 'bench' });
    const table = (await client.send(new DescribeTableCommand({ TableName: 'findings' }))).Table;
    results.push({
      run: run.name,
      queryPages: read.query,
      writes: tracked.reconciled?.writes.length,
      transactions: store.calls.transactWrite,
      transactionRequestBytes: sink.bytes - before.bytes,
      errors: outcome.errors.length,
      changes: tracked.report.lifecycle?.summary,
      tableItems: table?.ItemCount,
      readAndReconcileMs: readMs,
    });
  }
  process.stdout.write(`${JSON.stringify({ findings: total, runs: results })}\n`);
} finally {
  await moto.stop();
  server.close();
}
