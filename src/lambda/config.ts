import { isTopicArn, parseS3Uri } from '../arns.js';
import { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts, secondsSetting } from '../aws/timeouts.js';
import { SEVERITIES, type Severity } from '../domain/model.js';
import { ConfigError } from '../errors.js';
import { parseRegionList } from '../regions.js';

/** The function's configuration, read from its environment once, at cold start. */
export interface LambdaConfig {
  readonly topicArn: string;
  readonly regions: readonly string[];
  readonly minSeverity: Severity;
  /** `findings`: publish when a finding reaches the threshold or the audit is incomplete; `always`: every run. */
  readonly alertMode: 'findings' | 'always';
  /** Time kept back from the Lambda timeout to publish a partial report. */
  readonly reserveMs: number;
  /** Read the baseline from this `s3://bucket/key` on every run instead of the bundled one. */
  readonly baselineS3Uri?: string;
  /** HTTP timeouts of every AWS client. */
  readonly timeouts: HttpTimeouts;
}

/** Parses and validates the environment; every error names the variable and what it expects. */
export const parseLambdaConfig = (env: Readonly<Record<string, string | undefined>>): LambdaConfig => {
  const topicArn = env.TOPIC_ARN?.trim();
  if (!topicArn) throw new ConfigError('TOPIC_ARN is not set: give the ARN of the SNS topic that receives alerts.');
  if (!isTopicArn(topicArn)) {
    throw new ConfigError(`TOPIC_ARN "${topicArn}" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME).`);
  }
  const regionList = env.AUDIT_REGIONS?.trim() || env.AWS_REGION;
  if (!regionList)
    throw new ConfigError('AUDIT_REGIONS is not set and AWS_REGION is missing: name the regions to audit.');
  const regions = parseRegionList(regionList, env.AUDIT_REGIONS?.trim() ? 'AUDIT_REGIONS' : 'AWS_REGION');
  const minSeverity = (env.ALERT_MIN_SEVERITY?.trim() || 'medium') as Severity;
  if (!SEVERITIES.includes(minSeverity)) {
    throw new ConfigError(
      `ALERT_MIN_SEVERITY must be one of ${SEVERITIES.join(', ')}, not "${env.ALERT_MIN_SEVERITY}".`,
    );
  }
  const alertMode = env.ALERT_MODE?.trim() || 'findings';
  if (alertMode !== 'findings' && alertMode !== 'always') {
    throw new ConfigError(`ALERT_MODE must be "findings" or "always", not "${env.ALERT_MODE}".`);
  }
  const reserve = env.DEADLINE_RESERVE_SECONDS?.trim() || '20';
  if (!/^\d+$/.test(reserve)) {
    throw new ConfigError(`DEADLINE_RESERVE_SECONDS must be a whole number of seconds, not "${reserve}".`);
  }
  const timeout = env.FUNCTION_TIMEOUT_SECONDS?.trim();
  if (timeout !== undefined && timeout !== '') {
    if (!/^\d+$/.test(timeout) || Number(timeout) === 0) {
      throw new ConfigError(
        `FUNCTION_TIMEOUT_SECONDS must be the function's timeout in whole seconds, not "${timeout}".`,
      );
    }
    // The reserve is time kept back to publish: at half the timeout or more, the audit gets little or none.
    if (Number(reserve) * 2 >= Number(timeout)) {
      throw new ConfigError(
        `DEADLINE_RESERVE_SECONDS (${reserve}) must be less than half of the function's timeout (FUNCTION_TIMEOUT_SECONDS ${timeout}): the audit would have no time left.`,
      );
    }
  }
  const baselineS3Uri = env.BASELINE_S3_URI?.trim();
  if (baselineS3Uri && !parseS3Uri(baselineS3Uri)) {
    throw new ConfigError(`BASELINE_S3_URI "${baselineS3Uri}" is not an s3://bucket/key URI.`);
  }
  const seconds = (name: string, fallbackMs: number): number => secondsSetting(name, env[name], fallbackMs);
  return {
    topicArn,
    regions,
    minSeverity,
    alertMode,
    reserveMs: Number(reserve) * 1000,
    timeouts: {
      connectMs: seconds('CONNECT_TIMEOUT_SECONDS', DEFAULT_HTTP_TIMEOUTS.connectMs),
      requestMs: seconds('REQUEST_TIMEOUT_SECONDS', DEFAULT_HTTP_TIMEOUTS.requestMs),
    },
    ...(baselineS3Uri ? { baselineS3Uri } : {}),
  };
};
