import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OrganizationReport } from '../../src/domain/report.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { MEMBER_ROLE, seedOrganization } from '../support/organization.js';
import { organizationSchemaErrors, reportSchemaErrors } from '../support/schema.js';
import { ACCOUNT } from '../support/seed.js';

// aws-local-stepfunctions 3.0.0 declares Node.js 22; on Node.js 20 the one newer API it calls is this.
const promises = Promise as unknown as { withResolvers?: () => unknown };
promises.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const BUCKET = 'batch-iam-drift-test-reports';
const bundle = pathToFileURL(`${process.cwd()}/dist/organization.mjs`).href;

let moto: string;
let proxy: FaultProxy;
let definition: Record<string, unknown>;

beforeAll(async () => {
  moto = process.env.AWS_ENDPOINT_URL ?? '';
  proxy = await startFaultProxy(moto);
  // The definition as deployed: from the template serverless.yml packages, its Task ARNs substituted.
  const out = mkdtempSync(join(tmpdir(), 'bid-sfn-'));
  execFileSync('node', ['scripts/build.mjs']);
  execFileSync('npx', ['serverless', 'package', '--stage', 'test', '--package', out], { stdio: 'pipe' });
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  const machine = template.Resources.OrganizationStateMachine.Properties;
  let text = JSON.stringify(machine.Definition);
  for (const name of Object.keys(machine.DefinitionSubstitutions)) {
    text = text.replaceAll(`\${${name}}`, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:batch-iam-drift-test-${name}`);
  }
  definition = JSON.parse(text);
}, 180_000);

afterAll(async () => {
  process.env.AWS_ENDPOINT_URL = moto;
  await proxy.close();
});

/** Imports the deployed organisation bundle with this environment, as a cold start would. */
const loadFunctions = async (env: Record<string, string>) => {
  Object.assign(process.env, env);
  return (await import(`${bundle}?cold=${Date.now()}`)) as {
    listAccounts: (event: unknown) => Promise<unknown>;
    auditAccount: (event: unknown) => Promise<unknown>;
    aggregate: (event: unknown) => Promise<{ location: string; complete: boolean; accounts: number }>;
  };
};

const s3 = () => new S3Client({ region: 'us-east-1', endpoint: moto, credentials, forcePathStyle: true });
const readObject = async (key: string) =>
  (await (await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString()) ?? '';

/** What SNS received, per moto's own API. */
const sentTo = async (topicArn: string) => {
  const data = (await (await fetch(`${moto}/moto-api/data.json`)).json()) as {
    sns: { Topic: Array<{ arn: string; sent_notifications: [string, string, string, unknown][] }> };
  };
  return data.sns.Topic.find((t) => t.arn === topicArn)?.sent_notifications ?? [];
};

describe('the organisation state machine, run locally from the packaged template against moto', () => {
  it('lists the accounts, audits each in the Distributed Map, catches the one it cannot enter, and sends one alert', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const { clean, drifted, noMemberRole } = await seedOrganization(moto);
    await s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
    const topicArn =
      (
        await new SNSClient({ region: 'us-east-1', endpoint: moto, credentials }).send(
          new CreateTopicCommand({ Name: 'batch-iam-drift-alerts' }),
        )
      ).TopicArn ?? '';
    // The member account without the role: AWS would refuse AssumeRole; moto does not check, the proxy does.
    proxy.setRules([{ match: ['Action=AssumeRole', noMemberRole], fault: 'deny' }]);
    process.env.AWS_ENDPOINT_URL = proxy.endpoint;
    try {
      const tasks = await loadFunctions({
        TOPIC_ARN: topicArn,
        AUDIT_REGIONS: 'us-east-1',
        REPORT_BUCKET: BUCKET,
        MEMBER_ROLE_NAME: MEMBER_ROLE,
        MAX_CONCURRENCY: '2',
        ALERT_MODE: 'findings',
      });
      const machine = new StateMachine(definition as never);
      const execution = machine.run(
        {},
        {
          overrides: {
            taskResourceLocalHandlers: {
              ListAccounts: tasks.listAccounts as never,
              AuditAccount: tasks.auditAccount as never,
              Aggregate: tasks.aggregate as never,
            },
          },
        },
      );
      const result = (await execution.result) as {
        location: string;
        complete: boolean;
        accounts: number;
        notAudited: number;
      };

      // The run finished (a failed account is an item, not a failed run), incomplete because of it.
      expect(result).toMatchObject({ complete: false, accounts: 3, notAudited: 1 });
      const runPrefix = result.location.replace(`s3://${BUCKET}/`, '');
      const keys = ((await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: runPrefix }))).Contents ?? [])
        .map((o) => o.Key)
        .sort();
      expect(keys).toEqual(
        [...[ACCOUNT, clean, drifted].map((a) => `${runPrefix}${a}.json`), `${runPrefix}organization.json`].sort(),
      );
      for (const account of [ACCOUNT, clean, drifted]) {
        expect(reportSchemaErrors(JSON.parse(await readObject(`${runPrefix}${account}.json`)))).toEqual([]);
      }
      const organization = JSON.parse(await readObject(`${runPrefix}organization.json`)) as OrganizationReport;
      expect(organizationSchemaErrors(organization)).toEqual([]);
      expect(organization.errors).toEqual([
        {
          account: noMemberRole,
          role: `arn:aws:iam::${noMemberRole}:role/${MEMBER_ROLE}`,
          operation: 'sts:AssumeRole',
          code: 'AccessDenied',
          message: expect.stringContaining('could not be entered'),
        },
      ]);
      const driftedReport = organization.accounts.find((r) => r.account === drifted);
      expect(driftedReport?.findings.map((f) => [f.rule, f.resource.name, f.severity])).toContainEqual([
        'dangerous-permission',
        'ecsInstanceRole',
        'critical',
      ]);

      // One alert for the whole run: per-account lines, the account not audited, where the reports are.
      const sent = await sentTo(topicArn);
      expect(sent).toHaveLength(1);
      const [, raw, subject] = sent[0] ?? [];
      expect(subject).toBe('[batch-iam-drift] INCOMPLETE in 4 accounts: 1 not audited, 0 incomplete; 1 critical');
      const message = JSON.parse(raw ?? '{}') as Record<string, string>;
      expect(message.email).toContain(`${drifted}: 1 critical`);
      expect(message.email).toContain(`${clean}: no drift`);
      expect(message.email).toContain(
        `${noMemberRole} via arn:aws:iam::${noMemberRole}:role/${MEMBER_ROLE}: sts:AssumeRole AccessDenied`,
      );
      expect(message.email).toContain(`Full reports: ${result.location}`);
      expect(JSON.parse(message.sqs ?? '{}')).toMatchObject({ kind: 'organization', reports: result.location });
    } finally {
      process.env.AWS_ENDPOINT_URL = moto;
      vi.restoreAllMocks();
    }
  });
});
