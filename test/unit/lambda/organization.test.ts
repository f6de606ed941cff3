import { describe, expect, it } from 'vitest';
import { AWS_DEFAULT_BASELINE } from '../../../src/domain/baseline.js';
import type { Report } from '../../../src/domain/report.js';
import { ConfigError } from '../../../src/errors.js';
import {
  AccountEntryError,
  createOrganizationFunctions,
  parseOrganizationConfig,
} from '../../../src/lambda/organization.js';
import type { AuditPorts, ReportStore } from '../../../src/ports.js';
import { alertBytes } from '../../../src/render/alert.js';
import { buildOrganizationAlert } from '../../../src/render/organization-alert.js';
import { ce, withExtraInstancePolicy } from '../../support/domain.js';
import { fakePorts } from '../../support/fake-ports.js';

const CALLER = '123456789012';
const [A, B] = ['111111111111', '222222222222'];
const TOPIC = `arn:aws:sns:us-east-1:${CALLER}:alerts`;

const portsAs = (account: string): AuditPorts => ({
  ...fakePorts({ 'us-east-1': [ce('a')] }, withExtraInstancePolicy('AdministratorAccess')),
  identity: { whoAmI: async () => ({ account, partition: 'aws', arn: `arn:aws:sts::${account}:assumed-role/r/s` }) },
});

const memoryStore = (): ReportStore & { objects: Map<string, string> } => {
  const objects = new Map<string, string>();
  return {
    objects,
    location: (key) => `s3://bucket/${key}`,
    put: async (key, text) => {
      objects.set(key, text);
    },
    get: async (key) => {
      const text = objects.get(key);
      if (text === undefined)
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      return text;
    },
  };
};

const functions = (portsFor: (account: string, roleArn: string | undefined) => AuditPorts) => {
  const reports = memoryStore();
  const published: { topic: string; subject: string; message: string }[] = [];
  const f = createOrganizationFunctions({
    config: parseOrganizationConfig({ AUDIT_REGIONS: 'us-east-1', TOPIC_ARN: TOPIC, EXCLUDE_ACCOUNTS: B }),
    caller: portsAs(CALLER).identity,
    directory: { activeAccounts: async () => [A, B, CALLER].map((id) => ({ id, name: id })) },
    portsFor,
    reports,
    publisher: {
      publish: async (topic, alert) => {
        published.push({ topic, subject: alert.subject, message: alert.message });
        return 'm-1';
      },
    },
    loadBaseline: async () => AWS_DEFAULT_BASELINE,
    now: () => new Date('2026-11-30T02:00:00.000Z'),
  });
  return { f, reports, published };
};

describe('the organisation functions', () => {
  it('lists the accounts less the excluded ones, with the run id and the map concurrency', async () => {
    const { f } = functions(portsAs);
    expect(await f.listAccounts()).toEqual({
      runId: '2026-11-30T02-00-00-000Z',
      startedAt: '2026-11-30T02:00:00.000Z',
      accounts: [A, CALLER],
      maxConcurrency: 10,
    });
  });

  it('audits an account through its member role, stores the report, and refuses an account that answers as another', async () => {
    const asked: [string, string | undefined][] = [];
    const { f, reports } = functions((account, roleArn) => {
      asked.push([account, roleArn]);
      return account === B ? portsAs(A) : portsAs(account);
    });
    expect(await f.auditAccount({ runId: 'r1', account: A })).toMatchObject({
      account: A,
      key: `reports/r1/${A}.json`,
      complete: true,
    });
    expect(JSON.parse(reports.objects.get(`reports/r1/${A}.json`) ?? '{}').account).toBe(A);
    await expect(f.auditAccount({ runId: 'r1', account: B })).rejects.toThrow(AccountEntryError);
    await expect(f.auditAccount({ runId: 'r1', account: B })).rejects.toThrow(
      `${B} could not be entered through arn:aws:iam::${B}:role/batch-iam-drift-audit: [ConfigError] entering ${B} gave credentials for account ${A}`,
    );
    await f.auditAccount({ runId: 'r1', account: CALLER });
    expect(asked).toContainEqual([CALLER, undefined]);
    await expect(f.auditAccount({ runId: 'r1', account: 'x' as string })).rejects.toThrow(ConfigError);
  });

  it('aggregates results and caught failures (as AWS words them) into one report and one alert', async () => {
    const { f, reports, published } = functions(portsAs);
    const ok = await f.auditAccount({ runId: 'r1', account: A });
    const summary = await f.aggregate({
      runId: 'r1',
      startedAt: '2026-11-30T02:00:00.000Z',
      results: [
        ok,
        {
          account: B,
          error: {
            Error: 'AccountEntryError',
            Cause: JSON.stringify({
              errorType: 'AccountEntryError',
              errorMessage: `${B} could not be entered through arn:aws:iam::${B}:role/batch-iam-drift-audit: [AccessDenied] not authorized`,
            }),
          },
        },
        { account: CALLER, key: `reports/r1/${CALLER}.json`, complete: true, findings: 0 },
      ],
    });
    expect(summary).toMatchObject({ complete: false, accounts: 1, notAudited: 2, messageId: 'm-1' });
    const organization = JSON.parse(reports.objects.get('reports/r1/organization.json') ?? '{}');
    expect(organization.errors).toEqual([
      {
        account: CALLER,
        operation: 's3:GetObject',
        code: 'NoSuchKey',
        message: `its report s3://bucket/reports/r1/${CALLER}.json could not be read: The specified key does not exist.`,
      },
      {
        account: B,
        role: `arn:aws:iam::${B}:role/batch-iam-drift-audit`,
        operation: 'sts:AssumeRole',
        code: 'AccessDenied',
        message: `${B} could not be entered through arn:aws:iam::${B}:role/batch-iam-drift-audit: [AccessDenied] not authorized`,
      },
    ]);
    expect(published).toHaveLength(1);
    expect(published[0]?.subject).toMatch(
      /^\[batch-iam-drift\] INCOMPLETE in 3 accounts: 2 not audited, 0 incomplete; 1 critical/,
    );
  });

  it.each([
    [{ AUDIT_REGIONS: 'us-east-1', EXCLUDE_ACCOUNTS: '12' }, /EXCLUDE_ACCOUNTS: "12" is not an AWS account id/],
    [{ AUDIT_REGIONS: 'us-east-1', MAX_CONCURRENCY: '0' }, /MAX_CONCURRENCY must be a whole number from 1 to 10000/],
    [{ AUDIT_REGIONS: 'us-east-1', ALERT_MIN_SEVERITY: 'severe' }, /ALERT_MIN_SEVERITY must be one of/],
    [{}, /AUDIT_REGIONS is not set/],
  ])('rejects the environment %j', (env, message) => {
    expect(() => parseOrganizationConfig(env)).toThrow(message);
  });
});

describe('buildOrganizationAlert', () => {
  it('stays within the SNS limit for thousands of accounts, saying what it left out', async () => {
    const { f, reports } = functions(portsAs);
    await f.auditAccount({ runId: 'r', account: A });
    const one = JSON.parse(reports.objects.get(`reports/r/${A}.json`) ?? '{}') as Report;
    const accounts = Array.from({ length: 3000 }, (_, i) => ({ ...one, account: String(100_000_000_000 + i) }));
    const report = {
      schemaVersion: 1 as const,
      kind: 'organization' as const,
      tool: one.tool,
      startedAt: one.startedAt,
      finishedAt: one.finishedAt,
      complete: true,
      summary: {
        accounts: 3000,
        computeEnvironments: 3000,
        roles: 6000,
        findings: 6000,
        bySeverity: { critical: 3000, high: 0, medium: 3000, low: 0, info: 0 },
      },
      accounts,
      errors: [],
    };
    const alert = buildOrganizationAlert(report, { minSeverity: 'medium', location: 's3://bucket/reports/r/' });
    expect(alertBytes(alert)).toBeLessThanOrEqual(262_144);
    const message = JSON.parse(alert.message);
    expect(message.email).toMatch(/more accounts in the reports \(left out to fit the SNS limit\)|more in the reports/);
    expect(message.email).toContain('Full reports: s3://bucket/reports/r/');
    expect(JSON.parse(message.sqs).summary.accounts).toBe(3000);
  });
});
