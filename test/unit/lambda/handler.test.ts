import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSnsPublisher } from '../../../src/aws/sns-publisher.js';
import { AWS_DEFAULT_BASELINE, type Baseline } from '../../../src/domain/baseline.js';
import { ConfigError } from '../../../src/errors.js';
import type { LambdaConfig } from '../../../src/lambda/config.js';
import { createHandler } from '../../../src/lambda/handler.js';
import type { AuditPorts, IamReadRequest } from '../../../src/ports.js';
import { ce, snapshotOf, withExtraInstancePolicy, withInstanceRole } from '../../support/domain.js';
import { fakePorts } from '../../support/fake-ports.js';
import { reportSchemaErrors } from '../../support/schema.js';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:batch-iam-drift-alerts';

const config = (overrides: Partial<LambdaConfig> = {}): LambdaConfig => ({
  topicArn: TOPIC,
  regions: ['us-east-1'],
  minSeverity: 'medium',
  alertMode: 'findings',
  retentionDays: 90,
  securityHub: false,
  homeRegion: 'us-east-1',
  reserveMs: 20_000,
  timeouts: { connectMs: 3_000, requestMs: 30_000 },
  ...overrides,
});

const context = (remainingMs = 300_000): Context =>
  ({
    functionName: 'batch-iam-drift-audit',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:batch-iam-drift-audit',
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/batch-iam-drift-audit',
    logStreamName: 's',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

const scheduled = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-29T03:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/nightly'],
  detail: {},
};

const clean = () => withInstanceRole();

const build = (
  ports: AuditPorts,
  overrides: Partial<LambdaConfig> = {},
  loadBaseline: () => Promise<Baseline> = async () => AWS_DEFAULT_BASELINE,
) =>
  createHandler({
    config: config(overrides),
    ports,
    publisher: createSnsPublisher((region) => new SNSClient({ region })),
    loadBaseline,
    logger: new Logger({ serviceName: 'batch-iam-drift' }),
    metrics: new Metrics({ namespace: 'BatchIamDrift', serviceName: 'batch-iam-drift' }),
  });

const published = () => snsMock.commandCalls(PublishCommand)[0]?.args[0].input;

describe('createHandler', () => {
  let log: { mock: { calls: unknown[][] } };
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'info').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'debug').mockImplementation(() => undefined);
  });
  afterEach(() => vi.restoreAllMocks());

  const emf = () =>
    log.mock.calls
      .map(([line]: unknown[]) => {
        try {
          return JSON.parse(String(line));
        } catch {
          return undefined;
        }
      })
      .find((o: unknown) => typeof o === 'object' && o !== null && '_aws' in o);

  it('audits on the schedule, publishes one JSON-structured message and records metrics', async () => {
    // Act
    const summary = await build(
      fakePorts({ 'us-east-1': [ce('ce-a'), ce('ce-b')] }, withExtraInstancePolicy('AdministratorAccess')),
    )(scheduled, context());
    // Assess
    expect(summary).toMatchObject({
      trigger: 'schedule',
      complete: true,
      findings: 2,
      bySeverity: { critical: 1, info: 1 },
      published: true,
      messageId: 'm-1',
    });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = published();
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.MessageStructure).toBe('json');
    expect(input?.Subject).toBe('[batch-iam-drift] 1 critical in 123456789012');
    expect(input?.MessageAttributes?.severity).toEqual({ DataType: 'String', StringValue: 'critical' });
    const report = JSON.parse(JSON.parse(input?.Message ?? '{}').sqs);
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(emf()).toMatchObject({
      FindingsCritical: 1,
      FindingsHigh: 0,
      AuditRuns: 1,
      RolesAudited: 2,
      AuditErrors: 0,
      AlertsPublished: 1,
    });
  });

  it('stays silent on a clean run in findings mode, and says "no drift" in always mode', async () => {
    const quiet = await build(fakePorts({ 'us-east-1': [ce('ce-a')] }, clean()))(scheduled, context());
    expect(quiet).toMatchObject({
      published: false,
      notPublishedBecause: 'no finding at or above medium and ALERT_MODE is findings',
    });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);

    const loud = await build(fakePorts({ 'us-east-1': [ce('ce-a')] }, clean()), { alertMode: 'always' })(
      scheduled,
      context(),
    );
    expect(loud.published).toBe(true);
    expect(published()?.Subject).toBe('[batch-iam-drift] no drift in 123456789012');
  });

  it('publishes an incomplete audit even without findings', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: batch:DescribeComputeEnvironments'), {
      name: 'AccessDenied',
    });
    const ports = fakePorts({ 'us-east-1': denied }, clean());
    const summary = await build(ports)(scheduled, context());
    expect(summary).toMatchObject({ complete: false, errors: 1, published: true });
    expect(published()?.Subject).toBe(
      // Cut at the 99 characters SNS allows a subject.
      '[batch-iam-drift] INCOMPLETE in 123456789012: 1 unread (batch:DescribeComputeEnvironments AccessDen',
    );
  });

  it('takes regions, compute environments, a threshold and dryRun on demand', async () => {
    // Prepare
    const requests: IamReadRequest[] = [];
    const ports = fakePorts(
      { 'us-east-1': [ce('ce-a')], 'eu-west-1': [ce('ce-west', { region: 'eu-west-1', instanceRole: 'other' })] },
      withExtraInstancePolicy('AdministratorAccess'),
      requests,
    );
    // Act
    const summary = await build(ports)(
      {
        regions: ['eu-west-1', 'us-east-1'],
        computeEnvironments: ['ce-a', 'ce-gone'],
        minSeverity: 'critical',
        dryRun: true,
      },
      context(),
    );
    // Assess
    expect(summary).toMatchObject({
      trigger: 'on-demand',
      regions: ['eu-west-1', 'us-east-1'],
      computeEnvironments: 1,
      complete: false,
      published: false,
      notPublishedBecause: 'dryRun',
    });
    expect(requests[0]?.instanceProfileNames).toEqual(['ecsInstanceRole']);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it.each([
    [[], /The event must be a JSON object/],
    [{ regions: 'us-east-1' }, /regions must be a non-empty list of strings/],
    [{ regions: ['mars-1'] }, /"mars-1" is not an AWS region name/],
    [{ minSeverity: 'urgent' }, /minSeverity must be one of critical, high, medium, low, info/],
    [{ dryRun: 'yes' }, /dryRun must be true or false/],
    [{ computeEnvironments: [] }, /computeEnvironments must be a non-empty list/],
    [
      { region: 'us-east-1' },
      /Unknown field "region": an on-demand event takes regions, computeEnvironments, dryRun, minSeverity/,
    ],
  ])('rejects the malformed event %j without auditing or publishing', async (event, message) => {
    const requests: IamReadRequest[] = [];
    const handler = build(
      fakePorts({ 'us-east-1': [ce('ce-a')] }, withExtraInstancePolicy('AdministratorAccess'), requests),
    );
    await expect(handler(event, context())).rejects.toThrow(message);
    expect(requests).toEqual([]);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('fails the invocation when the publish fails', async () => {
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
    const handler = build(fakePorts({ 'us-east-1': [ce('ce-a')] }, withExtraInstancePolicy('AdministratorAccess')));
    await expect(handler(scheduled, context())).rejects.toThrow(
      `Could not publish the alert to ${TOPIC}: Topic does not exist`,
    );
  });

  it('stops reading before the Lambda timeout and publishes a partial report marked incomplete', async () => {
    // Prepare: IAM answers only when the deadline aborts the read.
    const base = fakePorts({ 'us-east-1': [ce('ce-a')] }, clean());
    const slow: AuditPorts = {
      ...base,
      iam: {
        read: (request, signal) =>
          new Promise((resolve) => {
            signal?.addEventListener('abort', () =>
              resolve(
                snapshotOf(
                  Object.fromEntries(
                    request.roleNames.map((name) => [
                      name,
                      {
                        status: 'error',
                        error: {
                          operation: 'iam:GetRole',
                          resource: { type: 'role', name },
                          code: (signal.reason as Error).name,
                          message: (signal.reason as Error).message,
                        },
                      },
                    ]),
                  ),
                ),
              ),
            );
          }),
      },
    };
    // Act: 20 s reserve, 20.05 s left.
    const summary = await build(slow)(scheduled, context(20_050));
    // Assess
    expect(summary).toMatchObject({ complete: false, published: true });
    const report = JSON.parse(JSON.parse(published()?.Message ?? '{}').sqs);
    expect(report.errors[0]).toMatchObject({
      code: 'DeadlineError',
      message: 'stopped reading 20 s before the Lambda timeout',
    });
  });

  it.each([
    ['the deadline fires during the identity call', 20_050],
    ['the reserve is more than the time left', 5_000],
  ])('publishes "no audit ran" and fails the invocation when %s', async (_label, remainingMs) => {
    // Prepare: STS answers only when the deadline aborts it.
    const base = fakePorts({ 'us-east-1': [ce('ce-a')] }, clean());
    const hanging: AuditPorts = {
      ...base,
      identity: {
        whoAmI: (signal) =>
          new Promise((_resolve, reject) => {
            const stop = () => reject(signal?.reason);
            if (signal?.aborted) stop();
            signal?.addEventListener('abort', stop);
          }),
      },
    };
    // Act / Assess
    await expect(build(hanging)(scheduled, context(remainingMs))).rejects.toMatchObject({ name: 'DeadlineError' });
    const input = published();
    expect(input?.Subject).toBe(
      '[batch-iam-drift] INCOMPLETE in 123456789012: 1 unread (sts:GetCallerIdentity DeadlineError)',
    );
    const report = JSON.parse(JSON.parse(input?.Message ?? '{}').sqs);
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report).toMatchObject({ complete: false, account: '123456789012' });
    expect(report.errors[0].message).toMatch(/^No audit ran: the deadline .* was reached before the AWS identity/);
  });

  it('publishes "no audit ran" when the identity cannot be established, then fails', async () => {
    const base = fakePorts({ 'us-east-1': [ce('ce-a')] }, clean());
    const unreachable: AuditPorts = {
      ...base,
      identity: { whoAmI: () => Promise.reject(new ConfigError('Cannot reach the AWS endpoint: ETIMEDOUT.')) },
    };
    await expect(build(unreachable)(scheduled, context())).rejects.toThrow('Cannot reach the AWS endpoint');
    expect(published()?.Subject).toBe(
      '[batch-iam-drift] INCOMPLETE in 123456789012: 1 unread (sts:GetCallerIdentity ConfigError)',
    );
  });

  it('alerts and fails, without auditing, when the baseline is unusable', async () => {
    // Prepare
    const requests: IamReadRequest[] = [];
    const ports = fakePorts({ 'us-east-1': [ce('ce-a')] }, withExtraInstancePolicy('AdministratorAccess'), requests);
    const broken = async (): Promise<Baseline> => {
      throw Object.assign(new Error('baseline.yaml:3:5 roles[0].colour: unknown key "colour"'), {
        name: 'BaselineError',
      });
    };
    const handler = build(ports, { baselineS3Uri: 's3://team-config/batch/baseline.yaml' }, broken);
    // Act / Assess
    await expect(handler(scheduled, context())).rejects.toThrow(
      'The baseline s3://team-config/batch/baseline.yaml could not be used; no audit ran',
    );
    expect(requests).toEqual([]);
    const input = published();
    expect(input?.Subject).toBe('[batch-iam-drift] INCOMPLETE in 123456789012: 1 unread (s3:GetObject BaselineError)');
    const report = JSON.parse(JSON.parse(input?.Message ?? '{}').sqs);
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.errors).toEqual([
      {
        operation: 's3:GetObject',
        resource: { type: 'baseline', name: 's3://team-config/batch/baseline.yaml' },
        code: 'BaselineError',
        message:
          'No audit ran: the baseline could not be used. baseline.yaml:3:5 roles[0].colour: unknown key "colour"',
      },
    ]);
  });

  it('fails with both causes when the baseline is unusable and the account cannot be established', async () => {
    const ports = fakePorts({ 'us-east-1': [ce('ce-a')] }, withInstanceRole());
    const noIdentity = { ...ports, identity: { whoAmI: async () => Promise.reject(new Error('ExpiredToken')) } };
    const broken = async (): Promise<Baseline> => Promise.reject(new Error('NoSuchKey'));
    const handler = build(noIdentity, { baselineS3Uri: 's3://team-config/baseline.yaml' }, broken);
    await expect(handler(scheduled, context())).rejects.toThrow(
      'The baseline s3://team-config/baseline.yaml could not be used (NoSuchKey), and the account could not be established to alert about it: ExpiredToken',
    );
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });
});
