import { describe, expect, it } from 'vitest';
import { runAudit } from '../../../src/app/run-audit.js';
import { AWS_DEFAULT_BASELINE } from '../../../src/domain/baseline.js';
import type { IamReadRequest } from '../../../src/ports.js';
import { ce, documentedRoles, found, profile, snapshotOf } from '../../support/domain.js';
import { fakePorts } from '../../support/fake-ports.js';
import { reportSchemaErrors } from '../../support/schema.js';

const clock = () => {
  let t = Date.parse('2026-11-29T03:00:00Z');
  return () => {
    t += 1000;
    return new Date(t);
  };
};

const documented = () =>
  snapshotOf(documentedRoles(), { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) });

describe('runAudit', () => {
  it('asks IAM once for the distinct roles and profiles of every region', async () => {
    // Prepare
    const requests: IamReadRequest[] = [];
    const ports = fakePorts(
      { 'us-east-1': [ce('a'), ce('b')], 'eu-west-1': [ce('c', { region: 'eu-west-1' })] },
      documented(),
      requests,
    );
    // Act
    const report = await runAudit(ports, {
      regions: ['us-east-1', 'eu-west-1'],
      baseline: AWS_DEFAULT_BASELINE,
      now: clock(),
    });
    // Assess
    expect(requests).toEqual([{ roleNames: ['AWSBatchServiceRole'], instanceProfileNames: ['ecsInstanceRole'] }]);
    expect(report).toMatchObject({
      schemaVersion: 1,
      account: '123456789012',
      regions: ['us-east-1', 'eu-west-1'],
      startedAt: '2026-11-29T03:00:01.000Z',
      finishedAt: '2026-11-29T03:00:02.000Z',
      complete: true,
      summary: { computeEnvironments: 3, roles: 2, findings: 1, bySeverity: { info: 1 } },
      errors: [],
    });
    expect(reportSchemaErrors(report)).toEqual([]);
  });

  it('reads IAM while the EventBridge lookups run, then only the roles the targets add, nothing twice', async () => {
    const requests: IamReadRequest[] = [];
    const base = fakePorts({ 'us-east-1': [ce('a')] }, documented(), requests);
    const queue = 'arn:aws:batch:us-east-1:123456789012:job-queue/nightly';
    let iamStarted: () => void = () => undefined;
    const iamHasStarted = new Promise<void>((resolve) => {
      iamStarted = resolve;
    });
    const report = await runAudit(
      {
        ...base,
        batch: {
          ...base.batch,
          listJobQueues: async () => [
            { arn: queue, name: 'nightly', region: 'us-east-1', computeEnvironmentArns: [ce('a').arn] },
          ],
        },
        // The lookups answer only once IAM reading has begun: run one after the other, this would never end.
        events: {
          targetsFor: async () => {
            await iamHasStarted;
            return [
              {
                ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/nightly',
                ruleName: 'nightly',
                region: 'us-east-1',
                jobQueueArn: queue,
                roleArn: 'arn:aws:iam::123456789012:role/events-submit',
              },
            ];
          },
        },
        iam: {
          read: async (request, signal) => {
            iamStarted();
            return base.iam.read(request, signal);
          },
        },
      },
      { regions: ['us-east-1'], baseline: AWS_DEFAULT_BASELINE },
    );
    expect(requests.map((r) => [r.roleNames, r.instanceProfileNames, r.known !== undefined])).toEqual([
      [['AWSBatchServiceRole'], ['ecsInstanceRole'], false],
      [['events-submit'], [], true],
    ]);
    expect(report.complete).toBe(true);
  });

  it('goes on when a region cannot be listed, and marks the report incomplete', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform batch:DescribeComputeEnvironments'), {
      name: 'AccessDeniedException',
    });
    const progress: string[] = [];
    const report = await runAudit(fakePorts({ 'us-east-1': [ce('a')], 'eu-west-1': denied }, documented()), {
      regions: ['us-east-1', 'eu-west-1'],
      baseline: AWS_DEFAULT_BASELINE,
      onProgress: (m) => progress.push(m),
    });
    expect(report.complete).toBe(false);
    expect(report.errors).toEqual([
      {
        operation: 'batch:DescribeComputeEnvironments',
        resource: { type: 'region', name: 'eu-west-1' },
        code: 'AccessDeniedException',
        message: 'User is not authorized to perform batch:DescribeComputeEnvironments',
      },
    ]);
    expect(report.summary.computeEnvironments).toBe(1);
    expect(progress).toContain('eu-west-1: batch:DescribeComputeEnvironments failed');
    expect(reportSchemaErrors(report)).toEqual([]);
  });

  it('says "nothing audited" when no region has a compute environment, and only then', async () => {
    const empty = await runAudit(fakePorts({ 'us-east-1': [], 'eu-west-1': [] }, documented()), {
      regions: ['us-east-1', 'eu-west-1'],
      baseline: AWS_DEFAULT_BASELINE,
    });
    expect(empty.warnings).toEqual([
      {
        code: 'NothingAudited',
        message: 'nothing audited: no compute environment in us-east-1, eu-west-1 (a wrong region or account?)',
      },
    ]);
    expect(empty.summary.computeEnvironments).toBe(0);
    expect(reportSchemaErrors(empty)).toEqual([]);
    const some = await runAudit(fakePorts({ 'us-east-1': [ce('a')] }, documented()), {
      regions: ['us-east-1'],
      baseline: AWS_DEFAULT_BASELINE,
    });
    expect(some.warnings).toBeUndefined();
  });

  it('carries IAM read errors into the report', async () => {
    const snapshot = snapshotOf(
      {
        ...documentedRoles(),
        ecsInstanceRole: {
          status: 'error',
          error: {
            operation: 'iam:GetRole',
            resource: { type: 'role', name: 'ecsInstanceRole' },
            code: 'Throttling',
            message: 'Rate exceeded',
          },
        },
      },
      { ecsInstanceRole: found(profile('ecsInstanceRole', ['ecsInstanceRole'])) },
    );
    const report = await runAudit(fakePorts({ 'us-east-1': [ce('a')] }, snapshot), {
      regions: ['us-east-1'],
      baseline: AWS_DEFAULT_BASELINE,
    });
    expect(report.complete).toBe(false);
    expect(report.errors.map((e) => [e.operation, e.resource.name, e.code])).toEqual([
      ['iam:GetRole', 'ecsInstanceRole', 'Throttling'],
    ]);
    expect(report.summary.roles).toBe(1);
  });

  it('fails when the identity cannot be established, before listing anything', async () => {
    const ports = fakePorts({ 'us-east-1': [ce('a')] }, documented());
    const failing = { ...ports, identity: { whoAmI: async () => Promise.reject(new Error('no credentials')) } };
    await expect(runAudit(failing, { regions: ['us-east-1'], baseline: AWS_DEFAULT_BASELINE })).rejects.toThrow(
      'no credentials',
    );
  });
});
