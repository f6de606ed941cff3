import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { parseLambdaConfig } from '../../../src/lambda/config.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alerts';

describe('parseLambdaConfig', () => {
  it('applies the documented defaults', () => {
    expect(parseLambdaConfig({ TOPIC_ARN: TOPIC, AWS_REGION: 'eu-west-1' })).toEqual({
      topicArn: TOPIC,
      regions: ['eu-west-1'],
      minSeverity: 'medium',
      alertMode: 'findings',
      retentionDays: 90,
      digestWeekday: 1,
      securityHub: false,
      homeRegion: 'eu-west-1',
      reserveMs: 20_000,
      timeouts: { connectMs: 3_000, requestMs: 30_000 },
    });
  });

  it('defaults to alerts on changes when a state table is set, and reads the lifecycle variables', () => {
    expect(
      parseLambdaConfig({
        TOPIC_ARN: TOPIC,
        AWS_REGION: 'eu-west-1',
        STATE_TABLE: 'batch-iam-drift-findings',
        STATE_RETENTION_DAYS: '30',
        DIGEST_DAY: 'friday',
        REPORT_BUCKET: 'audit-reports-123',
        SECURITY_HUB: 'TRUE',
      }),
    ).toMatchObject({
      alertMode: 'changes',
      stateTable: 'batch-iam-drift-findings',
      retentionDays: 30,
      digestWeekday: 5,
      reportBucket: 'audit-reports-123',
      securityHub: true,
    });
    expect(
      parseLambdaConfig({ TOPIC_ARN: TOPIC, AWS_REGION: 'eu-west-1', STATE_TABLE: 'findings', DIGEST_DAY: 'none' }),
    ).not.toHaveProperty('digestWeekday');
  });

  it('reads every variable', () => {
    expect(
      parseLambdaConfig({
        TOPIC_ARN: TOPIC,
        AUDIT_REGIONS: 'us-east-1, eu-west-1,us-east-1',
        ALERT_MIN_SEVERITY: 'high',
        ALERT_MODE: 'always',
        DEADLINE_RESERVE_SECONDS: '30',
        CONNECT_TIMEOUT_SECONDS: '2',
        REQUEST_TIMEOUT_SECONDS: '12.5',
        AWS_REGION: 'eu-west-1',
      }),
    ).toEqual({
      topicArn: TOPIC,
      regions: ['us-east-1', 'eu-west-1'],
      minSeverity: 'high',
      alertMode: 'always',
      retentionDays: 90,
      digestWeekday: 1,
      securityHub: false,
      homeRegion: 'eu-west-1',
      reserveMs: 30_000,
      timeouts: { connectMs: 2_000, requestMs: 12_500 },
    });
  });

  it.each([
    [{}, /TOPIC_ARN is not set/],
    [{ TOPIC_ARN: 'alerts' }, /TOPIC_ARN "alerts" is not an SNS topic ARN/],
    [{ TOPIC_ARN: TOPIC }, /AUDIT_REGIONS is not set and AWS_REGION is missing/],
    [
      { TOPIC_ARN: TOPIC, AWS_REGION: 'eu-west-1', FUNCTION_TIMEOUT_SECONDS: '60', DEADLINE_RESERVE_SECONDS: '30' },
      /DEADLINE_RESERVE_SECONDS \(30\) must be less than half of the function's timeout \(FUNCTION_TIMEOUT_SECONDS 60\)/,
    ],
    [
      { TOPIC_ARN: TOPIC, AWS_REGION: 'eu-west-1', FUNCTION_TIMEOUT_SECONDS: 'ten' },
      /FUNCTION_TIMEOUT_SECONDS must be/,
    ],
    [
      { TOPIC_ARN: TOPIC, AWS_REGION: 'eu-west-1', REQUEST_TIMEOUT_SECONDS: 'never' },
      /REQUEST_TIMEOUT_SECONDS must be a positive number of seconds, not "never"/,
    ],
    [
      { TOPIC_ARN: TOPIC, AWS_REGION: 'eu-west-1', CONNECT_TIMEOUT_SECONDS: '0' },
      /CONNECT_TIMEOUT_SECONDS must be a positive number of seconds/,
    ],
    [{ TOPIC_ARN: TOPIC, AUDIT_REGIONS: 'us-east-1,nowhere' }, /AUDIT_REGIONS: "nowhere" is not an AWS region name/],
    [{ TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', ALERT_MIN_SEVERITY: 'urgent' }, /ALERT_MIN_SEVERITY must be one of/],
    [
      { TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', ALERT_MODE: 'sometimes' },
      /ALERT_MODE must be "changes", "findings" or "always"/,
    ],
    [{ TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', ALERT_MODE: 'changes' }, /ALERT_MODE "changes" needs STATE_TABLE/],
    [{ TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', SECURITY_HUB: 'true' }, /SECURITY_HUB=true needs STATE_TABLE/],
    [{ TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', SECURITY_HUB: 'yes' }, /SECURITY_HUB must be "true" or "false"/],
    [{ TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', STATE_TABLE: 'a' }, /STATE_TABLE "a" is not a DynamoDB table name/],
    [
      { TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', STATE_TABLE: 'findings', STATE_RETENTION_DAYS: '0' },
      /STATE_RETENTION_DAYS must be a whole number of days above 0/,
    ],
    [{ TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', DIGEST_DAY: 'someday' }, /DIGEST_DAY must be a weekday/],
    [
      { TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', REPORT_BUCKET: 'Bad_Bucket' },
      /REPORT_BUCKET "Bad_Bucket" is not an S3 bucket name/,
    ],
    [
      { TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1', DEADLINE_RESERVE_SECONDS: '1.5' },
      /DEADLINE_RESERVE_SECONDS must be a whole number/,
    ],
  ])('rejects %j with a ConfigError naming the variable', (env, message) => {
    expect(() => parseLambdaConfig(env)).toThrow(ConfigError);
    expect(() => parseLambdaConfig(env)).toThrow(message);
  });
});
