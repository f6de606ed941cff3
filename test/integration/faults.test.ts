import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/domain/report.js';
import { cli } from '../support/cli.js';
import { type Fault, type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { reportSchemaErrors } from '../support/schema.js';
import { createComputeEnvironment, type SeedClients, seedByTheDocs, seedClients } from '../support/seed.js';

let proxy: FaultProxy;
let moto: string;
let clients: SeedClients;

beforeAll(async () => {
  moto = process.env.AWS_ENDPOINT_URL ?? '';
  proxy = await startFaultProxy(moto);
});

afterAll(async () => {
  process.env.AWS_ENDPOINT_URL = moto;
  await proxy.close();
});

beforeEach(async () => {
  process.env.AWS_ENDPOINT_URL = moto;
  clients = seedClients(moto);
  const seeded = await seedByTheDocs(clients);
  await createComputeEnvironment(clients, {
    name: 'genomics',
    serviceRoleArn: seeded.serviceRoleArn,
    type: 'EC2',
    instanceProfile: 'ecsInstanceRole',
  });
  proxy.setRules([]);
});

/**
 * Runs the CLI through the proxy with short timeouts (one second to connect and to answer), reading
 * IAM role by role unless `extra` says otherwise (the faults below target per-role calls).
 */
const audit = async (...extra: string[]) => {
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  try {
    const result = await cli(
      'audit',
      '--format',
      'json',
      '--quiet',
      '--connect-timeout',
      '1',
      '--request-timeout',
      '1',
      ...(extra.includes('--iam-reads') ? [] : ['--iam-reads', 'per-role']),
      ...extra,
    );
    const report = result.out ? (JSON.parse(result.out) as Report) : undefined;
    if (report) expect(reportSchemaErrors(report)).toEqual([]);
    return { ...result, report };
  } finally {
    process.env.AWS_ENDPOINT_URL = moto;
  }
};

describe('faults between the auditor and AWS (a fault-injecting proxy in front of moto)', () => {
  it('exits 2 within the request timeout and its retries when the identity call hangs', async () => {
    proxy.setRules([{ match: 'Action=GetCallerIdentity', fault: 'hang' }]);
    const { code, err } = await audit();
    expect(code).toBe(2);
    expect(err).toMatch(/Cannot reach the AWS endpoint http:\/\/127\.0\.0\.1:\d+: (ETIMEDOUT|TimeoutError)/);
  }, 20_000);

  it('logs every AWS request on --debug, with its retries, and never a credential', async () => {
    proxy.setRules([{ match: ['Action=GetRole', 'RoleName=ecsInstanceRole'], fault: 'throttle', times: 2 }]);
    const { code, err } = await audit('--debug');
    expect(code).toBe(0);
    expect(err).toMatch(/^aws: STS GetCallerIdentity 200 attempts=1 retryDelay=0ms/m);
    expect(err).toMatch(/^aws: Batch DescribeComputeEnvironments 200 attempts=1/m);
    // Two throttled answers, then the third attempt succeeds after an adaptive delay.
    expect(err).toMatch(/^aws: IAM GetRole 200 attempts=3 retryDelay=[1-9]\d*ms/m);
    expect(err).not.toMatch(/testing|AccessKeyId|SecretAccessKey|SessionToken/);
  });

  it('reports a hanging IAM read as an error and exits 3, instead of hanging', async () => {
    proxy.setRules([{ match: 'Action=GetInstanceProfile', fault: 'hang' }]);
    const { code, report } = await audit();
    expect(code).toBe(3);
    expect(report?.complete).toBe(false);
    expect(report?.errors).toEqual([
      expect.objectContaining({ operation: 'iam:GetInstanceProfile', code: 'TimeoutError' }),
    ]);
  }, 60_000);

  it('takes an empty successful answer for a read error, not a missing role', async () => {
    proxy.setRules([{ match: ['Action=GetRole&', 'RoleName=ecsInstanceRole'], fault: 'empty' }]);
    const { code, report } = await audit();
    expect(code).toBe(3);
    expect(report?.findings.map((f) => f.rule)).not.toContain('role-missing');
    expect(report?.errors.map((e) => [e.operation, e.resource.name])).toEqual([['iam:GetRole', 'ecsInstanceRole']]);
  });

  it.each<[Fault, string]>([
    ['garbage', 'a body that is not XML'],
    ['drop', 'a dropped connection'],
  ])(
    'reports %s (%s) as a read error with a real code, never "Error"',
    async (fault, _what) => {
      proxy.setRules([{ match: 'Action=GetInstanceProfile', fault }]);
      const { code, report } = await audit();
      expect(code).toBe(3);
      const error = report?.errors[0];
      expect(error?.operation).toBe('iam:GetInstanceProfile');
      expect(error?.code).not.toMatch(/^(Error|UnknownError)$/);
      expect(error?.message).not.toMatch(/\n|inspect the hidden field/);
    },
    60_000,
  );

  it('keeps the trust findings of a role whose policy listing is denied, and invents no missing policy', async () => {
    proxy.setRules([{ match: ['Action=ListAttachedRolePolicies', 'RoleName=ecsInstanceRole'], fault: 'deny' }]);
    const { code, report } = await audit();
    expect(code).toBe(3);
    expect(report?.findings.map((f) => f.rule)).not.toContain('managed-policy-missing');
    expect(report?.errors).toEqual([
      expect.objectContaining({ operation: 'iam:ListAttachedRolePolicies', code: 'AccessDenied' }),
    ]);
    expect(report?.summary.roles).toBe(2);
  });

  it('rides out a burst of throttling with adaptive retries and loses nothing', async () => {
    proxy.setRules([{ match: 'Action=GetRole', fault: 'throttle', times: 3 }]);
    const { code, report } = await audit('--fail-on', 'high');
    expect(report?.complete).toBe(true);
    expect(report?.errors).toEqual([]);
    expect(code).toBe(0);
    expect(proxy.seen['Action=GetRole']).toBe(3);
  });

  it.each<[Fault, string]>([
    ['deny', 'denied'],
    ['garbage', 'a broken page'],
    ['drop', 'a dropped connection'],
  ])(
    'reads role by role when the bulk read is %s (%s), and loses nothing',
    async (fault) => {
      const clean = await audit('--iam-reads', 'bulk');
      proxy.setRules([{ match: 'Action=GetAccountAuthorizationDetails', fault }]);
      const { code, report } = await audit('--iam-reads', 'bulk');
      expect(proxy.seen['Action=GetAccountAuthorizationDetails']).toBeGreaterThan(0);
      expect(report?.complete).toBe(true);
      expect(report?.findings).toEqual(clean.report?.findings);
      expect(report?.summary).toEqual(clean.report?.summary);
      expect(code).toBe(clean.code);
    },
    60_000,
  );
});
