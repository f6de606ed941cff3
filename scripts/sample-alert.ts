// npm run sample-alert: run the deployed bundle (dist/handler.mjs) against the demo account in a local
// moto server and print the SNS message it publishes, part by part: the samples in docs/alerts.md.
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { seedDemoAccount } from '../test/support/demo-account.js';
import { startMoto } from '../test/support/moto.js';
import { seedClients } from '../test/support/seed.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
execFileSync('node', ['scripts/build.mjs']);
const moto = await startMoto();
try {
  await seedDemoAccount(seedClients(moto.endpoint));
  const sns = new SNSClient({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'batch-iam-drift-alerts' }))).TopicArn ?? '';
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    TOPIC_ARN: topicArn,
    AUDIT_REGIONS: 'us-east-1,eu-west-1',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { handler } = (await import(pathToFileURL('dist/handler.mjs').href)) as {
    handler: (e: unknown, c: Context) => Promise<unknown>;
  };
  const summary = await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, {
    getRemainingTimeInMillis: () => 600_000,
    awsRequestId: 'sample',
    functionName: 'batch-iam-drift-sample',
  } as unknown as Context);
  const data = (await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json()) as {
    sns: { Topic: Array<{ arn: string; sent_notifications: [string, string, string, Record<string, unknown>][] }> };
  };
  const [, message, subject, attributes] = data.sns.Topic.find((t) => t.arn === topicArn)?.sent_notifications[0] ?? [];
  const parts = JSON.parse(message ?? '{}');
  const out = (title: string, body: string) => process.stdout.write(`===== ${title}\n${body}\n\n`);
  out('handler result', JSON.stringify(summary, null, 2));
  out('Subject', subject ?? '');
  out('MessageAttributes', JSON.stringify(attributes, null, 2));
  out('email (and default)', parts.email);
  out('https (Amazon Q Developer custom notification)', JSON.stringify(JSON.parse(parts.https), null, 2));
  out('sqs and lambda (JSON report)', JSON.stringify(JSON.parse(parts.sqs), null, 2));
} finally {
  await moto.stop();
}
