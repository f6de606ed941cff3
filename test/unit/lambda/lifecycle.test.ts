import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSnsPublisher } from '../../../src/aws/sns-publisher.js';
import { AWS_DEFAULT_BASELINE } from '../../../src/domain/baseline.js';
import type { LambdaConfig } from '../../../src/lambda/config.js';
import { createHandler } from '../../../src/lambda/handler.js';
import type { FindingStateStore, ReportStore } from '../../../src/ports.js';
import { ce, withExtraInstancePolicy } from '../../support/domain.js';
import { fakePorts } from '../../support/fake-ports.js';
import { memoryReportStore, memoryStateStore } from '../../support/state.js';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:batch-iam-drift-alerts';

const config: LambdaConfig = {
  topicArn: TOPIC,
  regions: ['us-east-1'],
  minSeverity: 'medium',
  alertMode: 'changes',
  stateTable: 'findings',
  retentionDays: 90,
  securityHub: false,
  homeRegion: 'us-east-1',
  reserveMs: 20_000,
  timeouts: { connectMs: 3_000, requestMs: 30_000 },
};

const context = () =>
  ({
    awsRequestId: 'abcdef01-2345',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:audit',
    getRemainingTimeInMillis: () => 300_000,
  }) as unknown as Context;

const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events' };

const build = (stateStore: FindingStateStore, reportStore?: ReportStore) =>
  createHandler({
    config,
    ports: fakePorts({ 'us-east-1': [ce('ce-a')] }, withExtraInstancePolicy('AdministratorAccess')),
    publisher: createSnsPublisher((region) => new SNSClient({ region })),
    loadBaseline: async () => AWS_DEFAULT_BASELINE,
    logger: new Logger({ serviceName: 'batch-iam-drift' }),
    metrics: new Metrics({ namespace: 'BatchIamDrift', serviceName: 'batch-iam-drift' }),
    stateStore,
    ...(reportStore ? { reportStore } : {}),
  });

const subjects = () => snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);

describe('the handler with a state table', () => {
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    for (const level of ['log', 'info', 'warn', 'debug', 'error'] as const)
      vi.spyOn(console, level).mockImplementation(() => undefined);
  });
  afterEach(() => vi.restoreAllMocks());

  it('leaves the state unwritten when the alert cannot be published, so the next run announces the same change', async () => {
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('KMS key disabled'), { name: 'KMSDisabledException' }));
    const store = memoryStateStore();
    await expect(build(store)(scheduled, context())).rejects.toThrow(/Could not publish the alert/);
    expect(store.items.size).toBe(0);
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const again = await build(store)(scheduled, context());
    expect(again).toMatchObject({ published: true, changes: { new: 2 } });
    expect(store.items.size).toBe(2);
    expect([...store.items.values()].find((s) => s.rule === 'dangerous-permission')?.lastAlerted).toMatch(/^2\d{3}-/);
  });

  it('says at once, in a second alert and in the report, when the state cannot be written', async () => {
    const reports = memoryReportStore();
    const summary = await build(memoryStateStore({ failWrites: true }), reports)(scheduled, context());
    expect(summary).toMatchObject({ published: true, complete: false });
    expect(subjects()).toEqual([
      '[batch-iam-drift] 2 new, 0 ongoing, 0 resolved in 123456789012 (open: 1 critical)',
      '[batch-iam-drift] STATE NOT SAVED in 123456789012: AccessDeniedException',
    ]);
    const second = JSON.parse(snsMock.commandCalls(PublishCommand)[1]?.args[0].input.Message ?? '{}');
    const words = (second.email as string).replace(/\s+/g, ' ');
    expect(words).toContain('The finding state could not be written after this run');
    expect(words).toContain('2 finding state items were not written, so the next run may announce them again');
    // The stored report, rewritten, carries the error too.
    const latest = JSON.parse(reports.objects.get('reports/123456789012/latest.json') ?? '{}');
    expect(latest.errors.map((e: { operation: string }) => e.operation)).toEqual(['dynamodb:TransactWriteItems']);
    const dated = [...reports.objects.keys()].find((k) => k.endsWith('.json') && !k.endsWith('latest.json'));
    expect(JSON.parse(reports.objects.get(dated ?? '') ?? '{}').complete).toBe(false);
  });

  it('alerts every finding as of unknown history, incomplete, when the state cannot be read, and writes nothing', async () => {
    const store = memoryStateStore({ failLoad: true });
    const summary = await build(store)(scheduled, context());
    expect(summary).toMatchObject({ published: true, complete: false });
    const message = JSON.parse(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}');
    const report = JSON.parse(message.sqs);
    expect(report.lifecycle).toMatchObject({ stateRead: false });
    expect(report.errors[0]).toMatchObject({ operation: 'dynamodb:Query', code: 'ResourceNotFoundException' });
    expect(report.findings.map((f: { rule: string }) => f.rule)).toContain('dangerous-permission');
    expect(message.email).toContain('finding history unavailable (the state could not be read)');
    expect(store.items.size).toBe(0);
  });

  it('returns the report itself to an on-demand invocation', async () => {
    const summary = await build(memoryStateStore())({ dryRun: true }, context());
    expect(summary.report?.lifecycle?.summary).toEqual({ new: 2, ongoing: 0, resolved: 0, severityChanged: 0 });
    expect(summary.published).toBe(false);
  });
});
