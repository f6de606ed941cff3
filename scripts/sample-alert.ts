// npm run sample-alert: run the deployed bundle (dist/handler.mjs) against the demo account in a local
// moto server and print the SNS message it publishes, part by part: the samples in docs/alerts.md.
// npm run sample-alert -- --lifecycle: the same with a state table and report bucket, over four runs
// (all new; nothing changed; one drift fixed and one new; the digest day): the "changes" samples.
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DetachRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { seedDemoAccount } from '../test/support/demo-account.js';
import { createStateTable, notificationsSent } from '../test/support/lambda.js';
import { startMoto } from '../test/support/moto.js';
import { awsPolicy, seedClients } from '../test/support/seed.js';

const lifecycle = process.argv.includes('--lifecycle');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
execFileSync('node', ['scripts/build.mjs']);
const moto = await startMoto();
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const out = (title: string, body: string) => process.stdout.write(`===== ${title}\n${body}\n\n`);
try {
  const clients = seedClients(moto.endpoint);
  await seedDemoAccount(clients);
  const aws = { region: 'us-east-1', endpoint: moto.endpoint, credentials };
  const topicArn =
    (await new SNSClient(aws).send(new CreateTopicCommand({ Name: 'batch-iam-drift-alerts' }))).TopicArn ?? '';
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
  if (lifecycle) {
    await createStateTable(new DynamoDBClient(aws), 'batch-iam-drift-findings');
    await new S3Client({ ...aws, forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: 'batch-iam-drift-reports' }),
    );
    Object.assign(process.env, { STATE_TABLE: 'batch-iam-drift-findings', REPORT_BUCKET: 'batch-iam-drift-reports' });
  }
  let loads = 0;
  const run = async (digestDay?: string) => {
    if (digestDay) process.env.DIGEST_DAY = digestDay;
    const { handler } = (await import(`${pathToFileURL('dist/handler.mjs').href}?run=${++loads}`)) as {
      handler: (e: unknown, c: Context) => Promise<unknown>;
    };
    return handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, {
      getRemainingTimeInMillis: () => 600_000,
      awsRequestId: `5a3b1e0${loads}-sample`,
      functionName: 'batch-iam-drift-sample',
    } as unknown as Context);
  };
  const sent = () => notificationsSent(moto.endpoint, topicArn);

  if (!lifecycle) {
    const summary = await run();
    const [, message, subject, attributes] = (await sent())[0] ?? [];
    const parts = JSON.parse(message ?? '{}');
    out('handler result', JSON.stringify(summary, null, 2));
    out('Subject', subject ?? '');
    out('MessageAttributes', JSON.stringify(attributes, null, 2));
    out('email (and default)', parts.email);
    out('https (Amazon Q Developer custom notification)', JSON.stringify(JSON.parse(parts.https), null, 2));
    out('sqs and lambda (JSON report)', JSON.stringify(JSON.parse(parts.sqs), null, 2));
  } else {
    const weekdays = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
    const notToday = weekdays[(new Date().getUTCDay() + 3) % 7] as string;
    const show = async (title: string, summary: unknown) => {
      const all = await sent();
      out(`${title}: handler result`, JSON.stringify(summary, null, 2));
      const [, message, subject] = all.at(-1) ?? [];
      out(`${title}: Subject`, subject ?? '');
      out(`${title}: email`, JSON.parse(message ?? '{}').email);
    };
    await show('run 1 (every finding new)', await run(notToday));
    const before = (await sent()).length;
    const quiet = await run(notToday);
    out('run 2 (nothing changed): handler result', JSON.stringify(quiet, null, 2));
    out('run 2: messages published', String((await sent()).length - before));
    // Between runs 2 and 3: AdministratorAccess comes off the instance role, and its trust is widened.
    await clients.iam.send(
      new DetachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'ecsInstanceRole',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::123456789012:role/ci-deployer' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    await show('run 3 (one fixed, one new)', await run(notToday));
    await show('run 4 (the digest day)', await run(weekdays[new Date().getUTCDay()]));
  }
} finally {
  await moto.stop();
}
