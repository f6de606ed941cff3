import { execFileSync } from 'node:child_process';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { AttachRolePolicyCommand, DetachRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { commitLifecycle, trackFindings } from '../../src/app/lifecycle.js';
import { createDynamoStateStore } from '../../src/aws/finding-state.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import {
  createAlertTopic,
  createStateTable,
  lambdaContext,
  loadHandler,
  notificationsSent,
} from '../support/lambda.js';
import { findingOf, reportOf } from '../support/report.js';
import { reportSchemaErrors } from '../support/schema.js';
import { ACCOUNT, awsPolicy, seedOneComputeEnvironment } from '../support/seed.js';

const endpoint = () => process.env.AWS_ENDPOINT_URL ?? '';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const aws = () => ({ region: 'us-east-1', endpoint: endpoint(), credentials });
const TABLE = 'batch-iam-drift-findings';
const BUCKET = 'batch-iam-drift-reports-test';

let requests = 0;
const context = () => lambdaContext(`0000000${++requests}-aaaa-bbbb-cccc-dddddddddddd`);

const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', id: 'e2e', detail: {} };

/** Not today, so that runs 1 to 3 send no digest; today, for the digest run. */
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const notToday = () => WEEKDAYS[(new Date().getUTCDay() + 3) % 7] as string;
const today = () => WEEKDAYS[new Date().getUTCDay()] as string;

let topicArn: string;
let queueUrl: string;
const sqs = () => new SQSClient(aws());

/** The SNS envelopes the SQS subscriber received since the last call. */
const received = async (): Promise<Array<{ Subject: string; Message: string }>> => {
  const out = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'));
};

/** Every item of the account in the state table, as DynamoDB holds it. */
const stateItems = async () => {
  const out = await new DynamoDBClient(aws()).send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'account = :a',
      ExpressionAttributeValues: { ':a': { S: ACCOUNT } },
    }),
  );
  return (out.Items ?? []).map((item) => ({
    rule: item.rule?.S,
    status: item.status?.S,
    firstSeen: item.firstSeen?.S,
    lastSeen: item.lastSeen?.S,
    expiresAt: item.expiresAt?.N,
    version: Number(item.version?.N),
    subject: item.resource?.M?.name?.S,
  }));
};

beforeAll(() => {
  execFileSync('node', ['scripts/build.mjs']);
});

beforeEach(async () => {
  for (const level of ['log', 'info', 'warn', 'debug', 'error'] as const)
    vi.spyOn(console, level).mockImplementation(() => undefined);
  const sns = new SNSClient(aws());
  ({ topicArn, queueUrl } = await createAlertTopic(sns, sqs()));
  await createStateTable(new DynamoDBClient(aws()), TABLE);
  await new S3Client({ ...aws(), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterEach(() => vi.restoreAllMocks());

const lifecycleEnv = (extra: Record<string, string> = {}) => ({
  TOPIC_ARN: topicArn,
  AUDIT_REGIONS: 'us-east-1',
  STATE_TABLE: TABLE,
  REPORT_BUCKET: BUCKET,
  SECURITY_HUB: 'true',
  DIGEST_DAY: notToday(),
  ...extra,
});

const FOREIGN_ROOT = 'arn:aws:iam::999999999999:root';
const CI_ROLE = `arn:aws:iam::${ACCOUNT}:role/ci-deployer`;
const trustWith = (...principals: string[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ...principals.map((p) => ({ Effect: 'Allow', Principal: { AWS: p }, Action: 'sts:AssumeRole' })),
    ],
  });

/** A by-the-docs account with one EC2 compute environment; its instance role carries the drifts. */
const seedAccount = () => seedOneComputeEnvironment(endpoint());

describe('the finding lifecycle against moto (DynamoDB, S3, SNS to SQS, Security Hub)', () => {
  it('alerts new drifts once, stays quiet while nothing changes, then tells what was fixed and what is new', async () => {
    const clients = await seedAccount();
    // Two drifts on the instance role: AdministratorAccess, and trust of another account.
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyDocument: trustWith(FOREIGN_ROOT) }),
    );
    const handler = await loadHandler(lifecycleEnv());

    // Run 1: both drifts are new, and announced.
    const first = await handler(scheduled, context());
    expect(first).toMatchObject({ published: true, changes: { new: 3, ongoing: 0, resolved: 0 } });
    const [alert1, ...rest1] = await received();
    expect(rest1).toEqual([]);
    expect(alert1?.Subject).toBe(`[batch-iam-drift] 3 new, 0 ongoing, 0 resolved in ${ACCOUNT} (open: 2 critical)`);
    const report1 = JSON.parse(alert1?.Message ?? '{}');
    expect(reportSchemaErrors(report1)).toEqual([]);
    // The info finding (service role instead of the service-linked role) is below the threshold: counted, not listed.
    expect(report1.findings.map((f: { rule: string; status: string }) => [f.rule, f.status])).toEqual([
      ['dangerous-permission', 'new'],
      ['trust-principal-unexpected', 'new'],
    ]);
    expect(report1.findings.every((f: { firstSeen: string }) => f.firstSeen === report1.startedAt)).toBe(true);

    // Run 2: nothing changed; nothing is published, and last seen moves on.
    const second = await handler(scheduled, context());
    expect(second).toMatchObject({
      published: false,
      notPublishedBecause: 'nothing changed at or above the threshold and ALERT_MODE is changes',
      changes: { new: 0, ongoing: 3, resolved: 0 },
    });
    expect(await received()).toEqual([]);
    const afterTwo = await stateItems();
    expect(afterTwo).toHaveLength(3);
    expect(afterTwo.every((i) => i.status === 'open' && i.version === 2 && i.lastSeen !== i.firstSeen)).toBe(true);

    // Run 3: AdministratorAccess detached, and a role of this account trusted as well.
    await clients.iam.send(
      new DetachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'ecsInstanceRole',
        PolicyDocument: trustWith(FOREIGN_ROOT, CI_ROLE),
      }),
    );
    const third = await handler(scheduled, context());
    expect(third).toMatchObject({ published: true, changes: { new: 1, ongoing: 2, resolved: 1 } });
    const [alert3] = await received();
    expect(alert3?.Subject).toBe(
      `[batch-iam-drift] 1 new, 2 ongoing, 1 resolved in ${ACCOUNT} (open: 1 critical, 1 high)`,
    );
    const report3 = JSON.parse(alert3?.Message ?? '{}');
    expect(reportSchemaErrors(report3)).toEqual([]);
    // Only the new finding is listed; the fixed one is in the lifecycle section.
    expect(report3.findings.map((f: { rule: string; status: string }) => [f.rule, f.status])).toEqual([
      ['trust-principal-unexpected', 'new'],
    ]);
    expect(report3.lifecycle.resolved.map((f: { rule: string }) => f.rule)).toEqual(['dangerous-permission']);
    const email = JSON.parse((await lastNotification()) ?? '{}').email as string;
    expect(email).toContain('1 new, 2 ongoing, 1 resolved');
    expect(email).toContain('FIXED SINCE THE LAST RUN (1)');
    expect(email).toContain('fixed: [dangerous-permission]');
    expect(email).toMatch(/1 ongoing finding at or above medium is not repeated here/);

    const states = await stateItems();
    expect(states.filter((s) => s.status === 'resolved').map((s) => s.rule)).toEqual(['dangerous-permission']);
    expect(states.find((s) => s.status === 'resolved')?.expiresAt).toMatch(/^\d+$/);

    // Reports are kept under the documented keys, latest.json last.
    const keys = (
      await new S3Client({ ...aws(), forcePathStyle: true }).send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `reports/${ACCOUNT}/` }),
      )
    ).Contents?.map((o) => o.Key);
    const day = String(third.reportLocation)
      .match(/reports\/\d{12}\/(\d{4})\/(\d{2})\/(\d{2})\//)
      ?.slice(1);
    expect(day).toEqual((report3.startedAt as string).slice(0, 10).split('-'));
    for (const run of [first, second, third]) {
      expect(run.reportLocation).toMatch(
        new RegExp(`^s3://${BUCKET}/reports/${ACCOUNT}/\\d{4}/\\d{2}/\\d{2}/\\d{8}T\\d{6}Z-\\d{7}[1-9]\\.json$`),
      );
      const key = String(run.reportLocation).slice(`s3://${BUCKET}/`.length);
      expect(keys).toContain(key);
      expect(keys).toContain(key.replace(/\.json$/, '.txt'));
      expect(keys).toContain(key.replace(/\.json$/, '.html'));
    }
    expect(keys).toContain(`reports/${ACCOUNT}/latest.json`);
    const latest = await new S3Client({ ...aws(), forcePathStyle: true }).send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `reports/${ACCOUNT}/latest.json` }),
    );
    const stored = JSON.parse((await latest.Body?.transformToString()) ?? '{}');
    expect(stored.lifecycle.runId).toBe(third.runId);
    expect(stored.reportLocation).toBe(third.reportLocation);

    // Security Hub heard of each change once: the fixed finding archived and passed.
    const hub = await new SecurityHubClient(aws()).send(new GetFindingsCommand({}));
    const byRule = new Map(
      (hub.Findings ?? []).map((f) => [
        `${f.GeneratorId} ${f.ProductFields?.['batch-iam-drift/Status']}`,
        [f.RecordState, f.Compliance?.Status, f.Severity?.Label],
      ]),
    );
    expect(byRule.get('batch-iam-drift/dangerous-permission resolved')).toEqual(['ARCHIVED', 'PASSED', 'CRITICAL']);
    expect(hub.Findings).toHaveLength(4);
    expect(hub.Findings?.every((f) => f.Resources?.[0]?.Type === 'AwsIamRole')).toBe(true);
  });

  it('resolves nothing in an incomplete run, and says the run was incomplete', async () => {
    const clients = await seedAccount();
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    const handler = await loadHandler(lifecycleEnv({ SECURITY_HUB: 'false' }));
    await handler(scheduled, context());
    await received();
    // The instance role cannot be read: its findings are not seen, but they are not fixed either.
    const proxy = await startFaultProxy(endpoint());
    try {
      // Small accounts are read in bulk: deny that too, so the reader falls back to GetRole, which is denied.
      proxy.setRules([
        { match: 'Action=GetAccountAuthorizationDetails', fault: 'deny' },
        { match: ['Action=GetRole', 'RoleName=ecsInstanceRole'], fault: 'deny' },
      ]);
      const moto = endpoint();
      const denied = await loadHandler({
        ...lifecycleEnv({ SECURITY_HUB: 'false' }),
        AWS_ENDPOINT_URL: proxy.endpoint,
      });
      const run = await denied(scheduled, context());
      process.env.AWS_ENDPOINT_URL = moto;
      expect(run).toMatchObject({ complete: false, published: true, changes: { resolved: 0 } });
      const [alert] = await received();
      expect(alert?.Subject).toMatch(/^\[batch-iam-drift\] INCOMPLETE in 123456789012/);
      const report = JSON.parse(alert?.Message ?? '{}');
      expect(report.lifecycle.resolutionWithheld).toMatch(/incomplete/);
      expect((await stateItems()).find((s) => s.rule === 'dangerous-permission')?.status).toBe('open');
    } finally {
      await proxy.close();
    }
  });

  it('sends the open list on the digest day, though nothing changed', async () => {
    const clients = await seedAccount();
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'ecsInstanceRole', PolicyArn: awsPolicy('AdministratorAccess') }),
    );
    await (await loadHandler(lifecycleEnv({ SECURITY_HUB: 'false' })))(scheduled, context());
    await received();
    const digest = await loadHandler(lifecycleEnv({ SECURITY_HUB: 'false', DIGEST_DAY: today() }));
    const run = await digest(scheduled, context());
    expect(run).toMatchObject({ published: true, changes: { new: 0, ongoing: 2, resolved: 0 } });
    const [alert] = await received();
    expect(alert?.Subject).toBe(`[batch-iam-drift] weekly digest: 1 critical open in ${ACCOUNT}`);
    const report = JSON.parse(alert?.Message ?? '{}');
    expect(report.findings.map((f: { rule: string; status: string }) => [f.rule, f.status])).toEqual([
      ['dangerous-permission', 'ongoing'],
      ['service-role-not-slr', 'ongoing'],
    ]);
  });

  it('keeps the state consistent when two runs overlap, the newer run winning', async () => {
    const store = () => createDynamoStateStore(new DynamoDBClient(aws()), TABLE);
    const a = findingOf(1, 'high');
    const b = findingOf(2, 'critical');
    const options = (runId: string) => ({
      store: store(),
      runId,
      wholeAccount: true,
      retentionDays: 30,
      now: () => new Date('2026-11-29T05:00:00Z'),
    });
    // Run 0 opened both.
    const zero = await trackFindings(reportOf([a, b], { startedAt: '2026-11-27T03:00:00.000Z' }), options('run-0'));
    expect((await commitLifecycle(zero, options('run-0'), { at: 'x' })).errors).toEqual([]);
    // Run X (older) sees only a; run Y (newer) sees both. Both read the state before either writes.
    const x = await trackFindings(reportOf([a], { startedAt: '2026-11-29T03:00:00.000Z' }), options('run-x'));
    const y = await trackFindings(reportOf([a, b], { startedAt: '2026-11-29T04:00:00.000Z' }), options('run-y'));
    const outcomes = await Promise.all([
      commitLifecycle(x, options('run-x'), { at: 'x' }),
      commitLifecycle(y, options('run-y'), { at: 'y' }),
    ]);
    expect(outcomes.flatMap((o) => o.errors)).toEqual([]);
    // One of them met the other's write and merged.
    expect(outcomes.reduce((n, o) => n + o.conflictsResolved, 0)).toBeGreaterThan(0);
    const items = await stateItems();
    expect(items.map((i) => [i.subject, i.status, i.firstSeen, i.lastSeen]).sort()).toEqual([
      ['role-1', 'open', '2026-11-27T03:00:00.000Z', '2026-11-29T04:00:00.000Z'],
      ['role-2', 'open', '2026-11-27T03:00:00.000Z', '2026-11-29T04:00:00.000Z'],
    ]);
  });
});

/** The last message SNS itself received, per moto's own API (the JSON with every protocol's text). */
const lastNotification = async (): Promise<string | undefined> =>
  (await notificationsSent(endpoint(), topicArn)).at(-1)?.[1];
