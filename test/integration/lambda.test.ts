import { execFileSync } from 'node:child_process';
import { AttachRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAlertTopic, lambdaContext, loadHandler, notificationsSent } from '../support/lambda.js';
import { reportSchemaErrors } from '../support/schema.js';
import { ACCOUNT, awsPolicy, createComputeEnvironment, seedByTheDocs, seedClients } from '../support/seed.js';

const endpoint = () => process.env.AWS_ENDPOINT_URL ?? '';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const context = lambdaContext();

const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', id: 'e2e', detail: {} };

let topicArn: string;
let queueUrl: string;
const sqs = () => new SQSClient({ region: 'us-east-1', endpoint: endpoint(), credentials });

beforeAll(() => {
  // The test invokes the file serverless.yml deploys, built from this checkout.
  execFileSync('node', ['scripts/build.mjs']);
});

beforeEach(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'info').mockImplementation(() => undefined);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  vi.spyOn(console, 'debug').mockImplementation(() => undefined);
  const sns = new SNSClient({ region: 'us-east-1', endpoint: endpoint(), credentials });
  ({ topicArn, queueUrl } = await createAlertTopic(sns, sqs()));
});
afterEach(() => vi.restoreAllMocks());

/** What SNS itself received, per moto's own API: the JSON message with every protocol's text. */
const sentToTopic = () => notificationsSent(endpoint(), topicArn);

describe('the deployed bundle against moto', () => {
  it('audits on schedule and delivers one alert that serves SQS, email and Slack', async () => {
    // Prepare
    const clients = seedClients(endpoint());
    const { serviceRoleArn } = await seedByTheDocs(clients);
    for (const name of ['nightly-a', 'nightly-b']) {
      await createComputeEnvironment(clients, {
        name,
        serviceRoleArn,
        type: 'EC2',
        instanceProfile: 'ecsInstanceRole',
      });
    }
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    const handler = await loadHandler({ TOPIC_ARN: topicArn, AUDIT_REGIONS: 'us-east-1', ALERT_MODE: 'findings' });
    // Act
    const summary = await handler(scheduled, context);
    // Assess: the summary
    expect(summary).toMatchObject({
      trigger: 'schedule',
      complete: true,
      findings: 2,
      published: true,
      computeEnvironments: 2,
    });
    // Assess: what the SQS subscriber received
    const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    expect(received.Messages).toHaveLength(1);
    const envelope = JSON.parse(received.Messages?.[0]?.Body ?? '{}');
    expect(envelope.Subject).toBe(`[batch-iam-drift] 1 critical in ${ACCOUNT}`);
    expect(envelope.MessageAttributes).toEqual({
      severity: { Type: 'String', Value: 'critical' },
      findingCount: { Type: 'Number', Value: '2' },
      account: { Type: 'String', Value: ACCOUNT },
      complete: { Type: 'String', Value: 'true' },
      rules: { Type: 'String.Array', Value: '["dangerous-permission","service-role-not-slr"]' },
    });
    const report = JSON.parse(envelope.Message);
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.findings[0]).toMatchObject({
      rule: 'dangerous-permission',
      severity: 'critical',
      resource: { name: 'ecsInstanceRole' },
    });
    expect(report.findings[0].computeEnvironments).toHaveLength(2);
    // Assess: the email text and the Slack payload SNS was given
    const sent = await sentToTopic();
    expect(sent).toHaveLength(1);
    const structured = JSON.parse(sent[0]?.[1] ?? '{}');
    // The email is wrapped at 78 columns: compare its words.
    expect(structured.email.replace(/\s+/g, ' ')).toMatch(
      /CRITICAL \(1\) \[dangerous-permission\] instance-role ecsInstanceRole: full administrator access/,
    );
    expect(
      structured.email
        .split('\n')
        .filter((line: string) => line.length > 78 && !/^ +(?:[a-z ]+: +)?(aws |\S+$)/.test(line)),
    ).toEqual([]);
    expect(structured.email).toMatch(/affects: {3}nightly-a, nightly-b/);
    expect(structured.email).toMatch(/fix: {7}aws iam detach-role-policy --role-name ecsInstanceRole/);
    const slack = JSON.parse(structured.https);
    expect(slack).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: `batch-iam-drift: 1 critical in ${ACCOUNT}` },
      metadata: { threadId: `batch-iam-drift-${ACCOUNT}-${report.startedAt}` },
    });
    expect(slack.content.nextSteps).toEqual([
      '`aws iam detach-role-policy --role-name ecsInstanceRole --policy-arn arn:aws:iam::aws:policy/AdministratorAccess`',
    ]);
  });

  it('rejects a malformed on-demand event without publishing anything', async () => {
    const handler = await loadHandler({ TOPIC_ARN: topicArn, AUDIT_REGIONS: 'us-east-1' });
    await expect(handler({ regions: 'us-east-1' }, context)).rejects.toThrow(
      /regions must be a non-empty list of strings/,
    );
    expect(await sentToTopic()).toEqual([]);
  });

  it('publishes "nothing audited", not "no drift", on demand in always mode when no region has a compute environment', async () => {
    const handler = await loadHandler({ TOPIC_ARN: topicArn, AUDIT_REGIONS: 'us-east-1', ALERT_MODE: 'always' });
    const summary = await handler({ regions: ['us-east-1', 'eu-west-1'] }, context);
    expect(summary).toMatchObject({ trigger: 'on-demand', findings: 0, published: true });
    const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    expect(JSON.parse(received.Messages?.[0]?.Body ?? '{}').Subject).toBe(
      `[batch-iam-drift] NOTHING AUDITED in ${ACCOUNT}: no compute environment in us-east-1, eu-west-1`,
    );
  });

  it('delivers alarms through the operations topic, which the documented filter policy would have dropped', async () => {
    // Prepare: the same subscriber (a queue standing for the on-call address) on the alert topic with the
    // documented filter policy, and on the operations topic unfiltered, as serverless.yml wires them.
    const sns = new SNSClient({ region: 'us-east-1', endpoint: endpoint(), credentials });
    const opsTopic = (await sns.send(new CreateTopicCommand({ Name: 'batch-iam-drift-operations' }))).TopicArn ?? '';
    const oncall = (await sqs().send(new CreateQueueCommand({ QueueName: 'oncall' }))).QueueUrl ?? '';
    const oncallArn = (
      await sqs().send(new GetQueueAttributesCommand({ QueueUrl: oncall, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const filter = JSON.stringify({ $or: [{ severity: ['critical'] }, { complete: ['false'] }] });
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: oncallArn,
        Attributes: { FilterPolicy: filter },
      }),
    );
    await sns.send(new SubscribeCommand({ TopicArn: opsTopic, Protocol: 'sqs', Endpoint: oncallArn }));
    // Act: what CloudWatch publishes when an alarm fires: a JSON body, no message attributes.
    const alarm = JSON.stringify({ AlarmName: 'batch-iam-drift-prod-MissedRunAlarm', NewStateValue: 'ALARM' });
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, Subject: 'ALARM: missed run (alert topic)', Message: alarm }),
    );
    await sns.send(
      new PublishCommand({ TopicArn: opsTopic, Subject: 'ALARM: missed run (operations topic)', Message: alarm }),
    );
    // Assess: the filter drops it on the alert topic; the operations topic delivers it.
    const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: oncall, MaxNumberOfMessages: 10 }));
    expect(received.Messages?.map((m) => JSON.parse(m.Body ?? '{}').Subject)).toEqual([
      'ALARM: missed run (operations topic)',
    ]);
  });

  it('routes by the documented filter policy: only critical or incomplete alerts reach a filtered subscriber', async () => {
    // Prepare: a second queue subscribed with the filter policy from docs/alerts.md.
    const sns = new SNSClient({ region: 'us-east-1', endpoint: endpoint(), credentials });
    const filtered = (await sqs().send(new CreateQueueCommand({ QueueName: 'alerts-critical' }))).QueueUrl ?? '';
    const filteredArn = (
      await sqs().send(new GetQueueAttributesCommand({ QueueUrl: filtered, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: filteredArn,
        Attributes: { FilterPolicy: JSON.stringify({ $or: [{ severity: ['critical'] }, { complete: ['false'] }] }) },
      }),
    );
    const clients = seedClients(endpoint());
    const { serviceRoleArn } = await seedByTheDocs(clients);
    await createComputeEnvironment(clients, {
      name: 'filtered-ce',
      serviceRoleArn,
      type: 'EC2',
      instanceProfile: 'ecsInstanceRole',
    });
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AmazonEC2FullAccess') }),
    );
    const handler = await loadHandler({ TOPIC_ARN: topicArn, AUDIT_REGIONS: 'us-east-1', ALERT_MODE: 'findings' });
    // Act: a medium finding, then a critical one.
    await handler(scheduled, context);
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    await handler(scheduled, context);
    // Assess
    const all = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    const critical = await sqs().send(new ReceiveMessageCommand({ QueueUrl: filtered, MaxNumberOfMessages: 10 }));
    expect(all.Messages).toHaveLength(2);
    expect(critical.Messages?.map((m) => JSON.parse(m.Body ?? '{}').Subject)).toEqual([
      `[batch-iam-drift] 1 critical, 1 medium in ${ACCOUNT}`,
    ]);
  });

  it('reads the baseline from S3 on every run, and alerts and fails when it turns invalid', async () => {
    // Prepare: a baseline in S3 that waives the AdministratorAccess finding.
    const s3 = new S3Client({ region: 'us-east-1', endpoint: endpoint(), credentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'team-config' }));
    const put = (body: string) =>
      s3.send(new PutObjectCommand({ Bucket: 'team-config', Key: 'batch/baseline.yaml', Body: body }));
    await put(`version: 1
account: '${ACCOUNT}'
waivers:
  - rule: dangerous-permission
    resource: '*:role/ecsInstanceRole'
    reason: break-glass access during the migration, BATCH-7
    owner: platform-team
    expires: '2099-12-31'
`);
    const clients = seedClients(endpoint());
    const { serviceRoleArn } = await seedByTheDocs(clients);
    await createComputeEnvironment(clients, {
      name: 'waived-ce',
      serviceRoleArn,
      type: 'EC2',
      instanceProfile: 'ecsInstanceRole',
    });
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    const handler = await loadHandler({
      TOPIC_ARN: topicArn,
      AUDIT_REGIONS: 'us-east-1',
      ALERT_MODE: 'always',
      BASELINE_S3_URI: 's3://team-config/batch/baseline.yaml',
    });
    // Act 1: the waiver applies.
    const waived = await handler(scheduled, context);
    // Assess 1
    expect(waived).toMatchObject({ findings: 1, bySeverity: { info: 1 }, complete: true, published: true });
    const first = JSON.parse(JSON.parse((await sentToTopic())[0]?.[1] ?? '{}').sqs);
    expect(first.baseline.source).toBe('s3://team-config/batch/baseline.yaml');
    expect(first.waived.map((f: { rule: string }) => f.rule)).toEqual(['dangerous-permission']);
    // Act 2: someone breaks the file; the next run must not fall back to the defaults.
    await put('version: 1\nwaivers: yes\n');
    await expect(handler(scheduled, context)).rejects.toThrow(
      /could not be used; no audit ran: [\s\S]*waivers: must be array, not string/,
    );
    // Assess 2
    const sent = await sentToTopic();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.[2]).toBe(`[batch-iam-drift] INCOMPLETE in ${ACCOUNT}: 1 unread (s3:GetObject BaselineError)`);
    const second = JSON.parse(JSON.parse(sent[1]?.[1] ?? '{}').sqs);
    expect(second.errors[0]).toMatchObject({
      operation: 's3:GetObject',
      resource: { type: 'baseline' },
      code: 'BaselineError',
    });
  });
});
