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
      reserveMs: 20_000,
      timeouts: { connectMs: 3_000, requestMs: 30_000 },
    });
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
      /ALERT_MODE must be "findings" or "always"/,
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
