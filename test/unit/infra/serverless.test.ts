import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LAMBDA_PERMISSIONS,
  ORGANIZATION_AGGREGATE_PERMISSIONS,
  ORGANIZATION_AUDIT_PERMISSIONS,
  ORGANIZATION_LIST_PERMISSIONS,
} from '../../../src/aws/permissions.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
let zipListing: string;

beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), 'bid-sls-'));
  execFileSync('node', ['scripts/build.mjs']);
  execFileSync('npx', ['serverless', 'package', '--stage', 'test', '--package', out], { stdio: 'pipe' });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  zipListing = execFileSync('unzip', ['-l', join(out, 'batch-iam-drift.zip')], { encoding: 'utf8' });
}, 120_000);

const statements = (): Statement[] => {
  const policies = template.Resources.IamRoleLambdaExecution?.Properties.Policies as
    | { PolicyDocument: { Statement: Statement[] } }[]
    | undefined;
  return policies?.[0]?.PolicyDocument.Statement ?? [];
};
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('serverless.yml, packaged', () => {
  it('grants the function exactly the actions the adapters declare, plus logging and its failure queue', () => {
    const extra = ['BaselineReadPolicy', 'LifecyclePolicy', 'SecurityHubPolicy'].flatMap(
      (name) =>
        (template.Resources[name]?.Properties.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ??
        [],
    );
    const granted = [...statements(), ...extra].flatMap(actions);
    const platform = granted.filter((a) => a.startsWith('logs:') || a === 'sqs:SendMessage');
    expect([...new Set(granted.filter((a) => !platform.includes(a)))].sort()).toEqual(LAMBDA_PERMISSIONS);
    expect(platform.sort()).toEqual([
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'logs:TagResource',
      'sqs:SendMessage',
    ]);
    expect(granted.some((a) => a.includes('*'))).toBe(false);
  });

  it('keeps the finding state in an on-demand, encrypted table with point-in-time recovery and a TTL, unless one is given', () => {
    const table = template.Resources.FindingStateTable as unknown as {
      Condition: string;
      Properties: Record<string, unknown>;
    };
    expect(table.Condition).toBe('CreateStateTable');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'account', KeyType: 'HASH' },
        { AttributeName: 'findingId', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const lifecycle = (
      (template.Resources.LifecyclePolicy as unknown as { Properties: { PolicyDocument: unknown } }).Properties
        .PolicyDocument as {
        Statement: Statement[];
      }
    ).Statement;
    // Scoped to the one table and the reports prefix of the one bucket.
    expect(JSON.stringify(lifecycle.find((s) => s.Sid === 'FindingState')?.Resource)).toContain(':table/$' + '{Table}');
    expect(JSON.stringify(lifecycle.find((s) => s.Sid === 'KeepReports')?.Resource)).toContain('/reports/*');
    expect((template.Resources.SecurityHubPolicy as unknown as { Condition: string }).Condition).toBe(
      'SecurityHubEnabled',
    );
    const env = (
      (template.Resources.AuditLambdaFunction as unknown as { Properties: { Environment: unknown } }).Properties
        .Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(env).toMatchObject({ ALERT_MODE: 'changes', DIGEST_DAY: 'MON', STATE_RETENTION_DAYS: '90' });
    expect(env.STATE_TABLE).toEqual({
      'Fn::If': ['CreateStateTable', { Ref: 'FindingStateTable' }, { Ref: 'ExistingStateTable' }],
    });
    for (const alarm of ['StateWriteFailuresAlarm', 'ReportStoreFailuresAlarm']) {
      expect(template.Resources[alarm]?.Properties).toMatchObject({ Namespace: 'BatchIamDrift', Threshold: 1 });
    }
  });

  it('scopes publishing to its own topic and key, and reads to this account', () => {
    const bySid = Object.fromEntries(statements().map((s) => [s.Sid, s]));
    expect(bySid.PublishAlerts?.Resource).toEqual({ Ref: 'AlertTopic' });
    expect(bySid.EncryptAlerts?.Resource).toEqual({ 'Fn::GetAtt': ['AlertKey', 'Arn'] });
    expect(JSON.stringify(bySid.ReadBatchRoles?.Resource)).toContain(':iam::$' + '{AWS::AccountId}:role/*');
    expect(statements().every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('deploys the esbuild bundle on nodejs22.x arm64, nightly at 03:00 UTC, with a failure destination', () => {
    const fn = template.Resources.AuditLambdaFunction?.Properties;
    expect(fn).toMatchObject({ Handler: 'dist/handler.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(zipListing).toMatch(/dist\/handler\.mjs\n/);
    expect(zipListing).not.toMatch(/node_modules|src\//);
    const rule = Object.values(template.Resources).find((r) => r.Type === 'AWS::Events::Rule');
    expect(rule?.Properties.ScheduleExpression).toBe('cron(0 3 * * ? *)');
    const invokeConfig = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig?.Properties.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } },
    });
  });

  it('reads a baseline from S3 only when one is configured, and only that object', () => {
    const policy = template.Resources.BaselineReadPolicy as unknown as {
      Condition: string;
      Properties: { Roles: unknown };
    };
    expect(policy.Condition).toBe('HasBaselineS3');
    expect(policy.Properties.Roles).toEqual([{ Ref: 'IamRoleLambdaExecution' }]);
    expect(JSON.stringify(template.Resources.BaselineReadPolicy)).toContain(
      '"Fn::Split":["s3://",{"Ref":"BaselineS3Uri"}]',
    );
  });

  it('encrypts the topic with its own key and alarms on errors and on a missed run', () => {
    expect(template.Resources.AlertTopic?.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlertKey' });
    expect(template.Resources.AlertKey?.Properties.EnableKeyRotation).toBe(true);
    expect(template.Resources.FunctionErrorsAlarm?.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
    });
    expect(template.Resources.MissedRunAlarm?.Properties).toMatchObject({
      Namespace: 'BatchIamDrift',
      MetricName: 'AuditRuns',
      TreatMissingData: 'breaching',
    });
  });

  it('sends every alarm to the operations topic, which every alert subscriber also gets unfiltered', () => {
    const resources = Object.values(template.Resources);
    const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(3);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: 'OpsTopic' }]);
      const dimensions = alarm.Properties.Dimensions as { Name: string; Value: string }[] | undefined;
      // The stage is in the dimension: a dev stack's runs cannot keep prod's alarms quiet.
      const service = dimensions?.find((d) => d.Name === 'service');
      if (service) expect(service.Value).toBe('batch-iam-drift-test');
    }
    const subscriptions = resources.filter((r) => r.Type === 'AWS::SNS::Subscription');
    const topicsByEndpoint = (topic: string) =>
      subscriptions.filter((r) => JSON.stringify(r.Properties.TopicArn) === JSON.stringify({ Ref: topic }));
    expect(topicsByEndpoint('OpsTopic').map((r) => r.Properties.Endpoint)).toEqual(
      topicsByEndpoint('AlertTopic').map((r) => r.Properties.Endpoint),
    );
    expect(topicsByEndpoint('OpsTopic').every((r) => r.Properties.FilterPolicy === undefined)).toBe(true);
    expect(template.Resources.SlackChannel?.Properties.SnsTopicArns).toEqual([
      { Ref: 'AlertTopic' },
      { Ref: 'OpsTopic' },
    ]);
    const environment =
      (
        template.Resources.AuditLambdaFunction?.Properties.Environment as
          | { Variables: Record<string, unknown> }
          | undefined
      )?.Variables ?? {};
    expect(environment.POWERTOOLS_SERVICE_NAME).toBe('batch-iam-drift-test');
    expect(environment.FUNCTION_TIMEOUT_SECONDS).toBe(
      String(template.Resources.AuditLambdaFunction?.Properties.Timeout),
    );
  });
});

describe('serverless.yml, organisation mode', () => {
  const roleStatements = (logicalId: string): Statement[] =>
    (
      template.Resources[logicalId]?.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined
    )?.flatMap((p) => p.PolicyDocument.Statement) ?? [];
  const granted = (logicalId: string) => {
    const all = roleStatements(logicalId).flatMap(actions);
    return {
      code: [...new Set(all.filter((a) => !a.startsWith('logs:')))].sort(),
      platform: all.filter((a) => a.startsWith('logs:')).sort(),
    };
  };

  it.each([
    ['OrganizationListRole', ORGANIZATION_LIST_PERMISSIONS, ['logs:CreateLogStream', 'logs:PutLogEvents']],
    ['OrganizationAuditRole', ORGANIZATION_AUDIT_PERMISSIONS, ['logs:CreateLogStream', 'logs:PutLogEvents']],
    ['OrganizationAggregateRole', ORGANIZATION_AGGREGATE_PERMISSIONS, ['logs:CreateLogStream', 'logs:PutLogEvents']],
  ])('gives %s exactly what its Task declares', (logicalId, declared, platform) => {
    expect(granted(logicalId)).toEqual({ code: declared, platform });
    expect(template.Resources[logicalId] as unknown as { Condition: string }).toMatchObject({
      Condition: 'OrganizationMode',
    });
  });

  it('scopes AssumeRole to the member role, and reports to the reports prefix of an encrypted, private bucket', () => {
    const bySid = Object.fromEntries(roleStatements('OrganizationAuditRole').map((s) => [s.Sid, s]));
    expect(bySid.EnterMemberAccounts?.Resource).toEqual({
      'Fn::Sub': 'arn:$' + '{AWS::Partition}:iam::*:role/batch-iam-drift-audit',
    });
    expect(bySid.StoreReports?.Resource).toEqual({
      'Fn::Sub': [
        'arn:$' + '{AWS::Partition}:s3:::$' + '{Bucket}/reports/*',
        { Bucket: { 'Fn::If': ['CreateReportBucket', { Ref: 'ReportBucket' }, { Ref: 'ExistingReportBucket' }] } },
      ],
    });
    const bucket = template.Resources.ReportBucket?.Properties as Record<string, unknown>;
    expect(JSON.stringify(bucket.BucketEncryption)).toContain('AES256');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('runs a Distributed Map over the listed accounts, catching a failed account, then aggregates', () => {
    const machine = template.Resources.OrganizationStateMachine?.Properties as {
      Definition: { States: Record<string, Record<string, unknown>> };
      DefinitionSubstitutions: Record<string, unknown>;
    };
    const map = machine.Definition.States.AuditAccounts as {
      ItemProcessor: { ProcessorConfig: unknown; States: { AuditAccount: { Catch: unknown[] } } };
      MaxConcurrencyPath: string;
    };
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.MaxConcurrencyPath).toBe('$.run.maxConcurrency');
    expect(map.ItemProcessor.States.AuditAccount.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'AccountFailed' },
    ]);
    expect(machine.DefinitionSubstitutions).toEqual({
      ListAccountsArn: { 'Fn::GetAtt': ['ListAccountsLambdaFunction', 'Arn'] },
      AuditAccountArn: { 'Fn::GetAtt': ['AuditAccountLambdaFunction', 'Arn'] },
      AggregateArn: { 'Fn::GetAtt': ['AggregateLambdaFunction', 'Arn'] },
    });
    expect(zipListing).toMatch(/dist\/organization\.mjs\n/);
    for (const fn of ['ListAccountsLambdaFunction', 'AuditAccountLambdaFunction', 'AggregateLambdaFunction']) {
      expect((template.Resources[fn] as unknown as { Condition: string }).Condition).toBe('OrganizationMode');
    }
  });
});
