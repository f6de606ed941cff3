import { pathToFileURL } from 'node:url';
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { STATE_KEY } from '../../src/aws/finding-state.js';
import { ACCOUNT } from './seed.js';

/** What a Lambda handler is: the deployed bundle's `handler` export. */
export type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

let loads = 0;
/**
 * Imports the deployed bundle (dist/handler.mjs, built by the test) afresh, so it reads the
 * environment set here at its "cold start".
 */
export const loadHandler = async (env: Record<string, string>): Promise<Handler> => {
  Object.assign(process.env, env);
  const bundle = pathToFileURL(`${process.cwd()}/dist/handler.mjs`).href;
  const module = (await import(`${bundle}?cold=${++loads}`)) as { handler: Handler };
  return module.handler;
};

/** A Lambda context for the test function, with a request id of its own. */
export const lambdaContext = (requestId = 'req-e2e'): Context =>
  ({
    functionName: 'batch-iam-drift-test-audit',
    awsRequestId: requestId,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:batch-iam-drift-test-audit`,
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 600_000,
  }) as unknown as Context;

/** The state table as serverless.yml declares it: on demand, keyed by account and finding id, TTL on expiresAt. */
export const createStateTable = async (dynamo: DynamoDBClient, table: string): Promise<void> => {
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: STATE_KEY.partition, AttributeType: 'S' },
        { AttributeName: STATE_KEY.sort, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: STATE_KEY.partition, KeyType: 'HASH' },
        { AttributeName: STATE_KEY.sort, KeyType: 'RANGE' },
      ],
    }),
  );
  await dynamo.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );
};

/** One notification SNS sent, as moto keeps it: message id, message, subject, attributes. */
export type SentNotification = [string, string, string, Record<string, { Type: string; Value: string }>];

/** What SNS itself sent to a topic, per moto's own API (the JSON message with every protocol's text). */
export const notificationsSent = async (endpoint: string, topicArn: string): Promise<SentNotification[]> => {
  const data = (await (await fetch(`${endpoint}/moto-api/data.json`)).json()) as {
    sns: { Topic: Array<{ arn: string; sent_notifications: SentNotification[] }> };
  };
  return data.sns.Topic.find((t) => t.arn === topicArn)?.sent_notifications ?? [];
};

/** The alert topic, with an SQS queue subscribed to it (the machine subscriber of docs/alerts.md). */
export const createAlertTopic = async (
  sns: SNSClient,
  sqs: SQSClient,
): Promise<{ topicArn: string; queueUrl: string }> => {
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'batch-iam-drift-alerts' }))).TopicArn ?? '';
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'alerts-machine' }))).QueueUrl ?? '';
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes?.QueueArn;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  return { topicArn, queueUrl };
};
