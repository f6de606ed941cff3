import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import type { FindingState, StateWrite } from '../domain/lifecycle.js';
import { awsErrorCode, cleanMessage } from '../error-codes.js';
import type { FindingStateStore, StateWriteOutcome } from '../ports.js';

/** DynamoDB actions the state store calls: one Query per page of an account's items, one transaction per 25 writes. */
export const STATE_STORE_PERMISSIONS = ['dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem'] as const;

/** What listing the table's findings needs (`batch-iam-drift findings`). */
export const STATE_READER_PERMISSIONS = ['dynamodb:Query'] as const;

/**
 * Items per transaction. DynamoDB allows 100 actions in one TransactWriteItems; 25 keeps one call the
 * size of a BatchWriteItem and a conflict cancels fewer writes.
 */
export const WRITES_PER_TRANSACTION = 25;

/** Transactions in flight at once. */
const WRITE_CONCURRENCY = 4;

/** The table's key: the account (partition) and the finding id (sort). */
export const STATE_KEY = { partition: 'account', sort: 'findingId' } as const;

type Item = Record<string, unknown>;

const toItem = (state: FindingState): Item => {
  const { id, ...rest } = state;
  return { ...rest, [STATE_KEY.sort]: id };
};

const fromItem = (item: Item): FindingState => {
  const { [STATE_KEY.sort]: id, ...rest } = item;
  return { ...(rest as Omit<FindingState, 'id'>), id: String(id) };
};

/** Cancellation reasons of a cancelled transaction, one per action, in order. */
const cancellationCodes = (error: unknown): string[] | undefined => {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return Array.isArray(reasons) ? reasons.map((r) => r.Code ?? 'None') : undefined;
};

/**
 * Keeps the finding lifecycle in a DynamoDB table keyed by `account` and `findingId`. Reads an
 * account's items with strongly consistent Query pages (1 MB each); writes in transactions of 25
 * puts, each conditional on the version it read, so an overlapping run's write is never overwritten.
 */
export const createDynamoStateStore = (client: DynamoDBClient, table: string): FindingStateStore => {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const calls = { query: 0, transactWrite: 0 };
  return {
    location: `dynamodb:${table}`,
    calls,
    async load(account, signal) {
      const states: FindingState[] = [];
      const pages = paginateQuery(
        { client: doc },
        {
          TableName: table,
          KeyConditionExpression: '#a = :a',
          ExpressionAttributeNames: { '#a': STATE_KEY.partition },
          ExpressionAttributeValues: { ':a': account },
          ConsistentRead: true,
        },
        ...(signal ? [{ abortSignal: signal }] : []),
      );
      for await (const page of pages) {
        calls.query++;
        for (const item of page.Items ?? []) states.push(fromItem(item));
      }
      return states;
    },
    async write(writes, signal): Promise<StateWriteOutcome> {
      const chunks: StateWrite[][] = [];
      for (let i = 0; i < writes.length; i += WRITES_PER_TRANSACTION)
        chunks.push(writes.slice(i, i + WRITES_PER_TRANSACTION));
      const limit = pLimit(WRITE_CONCURRENCY);
      const conflicts: StateWrite[] = [];
      const failures: StateWriteOutcome['failures'][number][] = [];
      let written = 0;
      await Promise.all(
        chunks.map((chunk) =>
          limit(async () => {
            calls.transactWrite++;
            try {
              await doc.send(
                new TransactWriteCommand({
                  TransactItems: chunk.map((w) => ({
                    Put: {
                      TableName: table,
                      Item: toItem(w.state),
                      ...(w.expectedVersion === undefined
                        ? {
                            ConditionExpression: 'attribute_not_exists(#id)',
                            ExpressionAttributeNames: { '#id': STATE_KEY.sort },
                          }
                        : {
                            ConditionExpression: '#v = :v',
                            ExpressionAttributeNames: { '#v': 'version' },
                            ExpressionAttributeValues: { ':v': w.expectedVersion },
                          }),
                    },
                  })),
                }),
                signal ? { abortSignal: signal } : {},
              );
              written += chunk.length;
            } catch (error) {
              const codes = cancellationCodes(error);
              // A condition failed: another run wrote one of these items since it was read. The whole
              // transaction was cancelled; the caller re-reads and tries again.
              if (codes?.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) {
                conflicts.push(...chunk);
                return;
              }
              const code = awsErrorCode(error as Error);
              const message = cleanMessage((error as Error).message ?? String(error));
              for (const w of chunk) failures.push({ write: w, code, message });
            }
          }),
        ),
      );
      return { written, conflicts, failures };
    },
  };
};
