import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStateStore, WRITES_PER_TRANSACTION } from '../../../src/aws/finding-state.js';
import type { FindingState, StateWrite } from '../../../src/domain/lifecycle.js';

// The store talks through the document client, which marshals; the mock sees plain values.
const dynamo = mockClient(DynamoDBDocumentClient);

const state = (i: number): FindingState => ({
  account: '123456789012',
  id: i.toString(16).padStart(16, '0'),
  rule: 'dangerous-permission',
  severity: 'high',
  title: `finding ${i}`,
  resource: { type: 'role', arn: `arn:aws:iam::123456789012:role/r${i}`, name: `r${i}` },
  roleKind: 'instance-role',
  regions: ['us-east-1'],
  status: 'open',
  firstSeen: '2026-11-27T03:00:00.000Z',
  lastSeen: '2026-11-29T03:00:00.000Z',
  statusChangedAt: '2026-11-27T03:00:00.000Z',
  changedBy: 'run-1',
  lastRunAt: '2026-11-29T03:00:00.000Z',
  severityHistory: [],
  version: 2,
});

const writes = (n: number): StateWrite[] =>
  Array.from({ length: n }, (_, i) => ({ state: state(i), expectedVersion: 1 }));

describe('createDynamoStateStore', () => {
  beforeEach(() => dynamo.reset());

  it('reads every page of the account with strongly consistent queries', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ account: '123456789012', findingId: 'aa', version: 3 }],
        LastEvaluatedKey: { account: '123456789012', findingId: 'aa' },
      })
      .resolvesOnce({ Items: [{ account: '123456789012', findingId: 'bb', version: 1 }] });
    const store = createDynamoStateStore(new DynamoDBClient({ region: 'us-east-1' }), 'findings');
    const states = await store.load('123456789012');
    expect(states.map((s) => [s.id, s.version])).toEqual([
      ['aa', 3],
      ['bb', 1],
    ]);
    expect(store.calls.query).toBe(2);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'findings',
      ConsistentRead: true,
      KeyConditionExpression: '#a = :a',
      ExpressionAttributeValues: { ':a': '123456789012' },
    });
  });

  it('writes 25 items per transaction, each conditional on the version it read or on not existing', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const store = createDynamoStateStore(new DynamoDBClient({ region: 'us-east-1' }), 'findings');
    const all = [...writes(60), { state: state(99) }];
    const outcome = await store.write(all);
    expect(outcome).toEqual({ written: 61, conflicts: [], failures: [] });
    const calls = dynamo.commandCalls(TransactWriteCommand);
    expect(calls.map((c) => c.args[0].input.TransactItems?.length)).toEqual([25, 25, 11]);
    expect(WRITES_PER_TRANSACTION).toBe(25);
    const first = calls[0]?.args[0].input.TransactItems?.[0]?.Put;
    expect(first).toMatchObject({
      TableName: 'findings',
      ConditionExpression: '#v = :v',
      ExpressionAttributeValues: { ':v': 1 },
    });
    expect(first?.Item).toMatchObject({ account: '123456789012', findingId: '0000000000000000', version: 2 });
    expect(first?.Item).not.toHaveProperty('id');
    const fresh = calls[2]?.args[0].input.TransactItems?.[10]?.Put;
    expect(fresh).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'findingId' },
    });
  });

  it('returns the writes of a transaction another run cancelled as conflicts, and other failures per item', async () => {
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          $metadata: {},
          message: 'Transaction cancelled',
          CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
        }),
      )
      .rejectsOnce(
        Object.assign(new Error('not authorized to perform dynamodb:PutItem'), { name: 'AccessDeniedException' }),
      );
    const store = createDynamoStateStore(new DynamoDBClient({ region: 'us-east-1' }), 'findings');
    const outcome = await store.write(writes(27));
    expect(outcome.written).toBe(0);
    expect(outcome.conflicts).toHaveLength(25);
    expect(outcome.failures.map((f) => [f.write.state.id, f.code])).toEqual([
      ['0000000000000019', 'AccessDeniedException'],
      ['000000000000001a', 'AccessDeniedException'],
    ]);
  });
});
