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
  /**
   * `changes` (the default with a state table): publish what changed since the last run, a weekly digest,
   * and incomplete runs; `findings`: publish when a finding reaches the threshold or the audit is
   * incomplete; `always`: every run.
   */
  readonly alertMode: AlertMode;
  /** The DynamoDB table that keeps each finding's lifecycle (`STATE_TABLE`). */
  readonly stateTable?: string;
  /** Days a resolved finding stays in the table before DynamoDB's TTL removes it (`STATE_RETENTION_DAYS`). */
  readonly retentionDays: number;
  /** The UTC weekday (0 = Sunday) of the digest of everything open, in `changes` mode (`DIGEST_DAY`). */
  readonly digestWeekday?: number;
  /** The S3 bucket that keeps every run's report (`REPORT_BUCKET`). */
  readonly reportBucket?: string;
  /** Import findings into AWS Security Hub (`SECURITY_HUB=true`). */
  readonly securityHub: boolean;
  /** The function's own region (`AWS_REGION`): where the state table, report bucket and Security Hub are. */
  readonly homeRegion: string;
  /** Time kept back from the Lambda timeout to publish a partial report. */
  readonly reserveMs: number;
  /** Read the baseline from this `s3://bucket/key` on every run instead of the bundled one. */
  readonly baselineS3Uri?: string;
  /** HTTP timeouts of every AWS client. */
  readonly timeouts: HttpTimeouts;
}

/** When alerts are published; see {@link LambdaConfig.alertMode}. */
export type AlertMode = 'changes' | 'findings' | 'always';

/** The weekdays `DIGEST_DAY` accepts, in `Date.getUTCDay()` order. */
export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

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
  const stateTable = env.STATE_TABLE?.trim() || undefined;
  if (stateTable !== undefined && !/^[a-zA-Z0-9_.-]{3,255}$/.test(stateTable)) {
    throw new ConfigError(
      `STATE_TABLE "${stateTable}" is not a DynamoDB table name (3 to 255 of a-z, A-Z, 0-9, _ - .).`,
    );
  }
  const alertMode = env.ALERT_MODE?.trim() || (stateTable ? 'changes' : 'findings');
  if (alertMode !== 'findings' && alertMode !== 'always' && alertMode !== 'changes') {
    throw new ConfigError(`ALERT_MODE must be "changes", "findings" or "always", not "${env.ALERT_MODE}".`);
  }
  if (alertMode === 'changes' && !stateTable) {
    throw new ConfigError(
      'ALERT_MODE "changes" needs STATE_TABLE: without the state of the last run there is no change to tell.',
    );
  }
  const retention = env.STATE_RETENTION_DAYS?.trim() || '90';
  if (!/^\d+$/.test(retention) || Number(retention) === 0) {
    throw new ConfigError(`STATE_RETENTION_DAYS must be a whole number of days above 0, not "${retention}".`);
  }
  const digest = (env.DIGEST_DAY?.trim() || 'MON').toUpperCase();
  const digestIndex = WEEKDAYS.indexOf(digest.slice(0, 3) as (typeof WEEKDAYS)[number]);
  if (digest !== 'NONE' && (digestIndex < 0 || !/^[A-Z]{3}([A-Z]*)$/.test(digest))) {
    throw new ConfigError(`DIGEST_DAY must be a weekday (${WEEKDAYS.join(', ')}) or NONE, not "${env.DIGEST_DAY}".`);
  }
  const reportBucket = env.REPORT_BUCKET?.trim() || undefined;
  if (reportBucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(reportBucket)) {
    throw new ConfigError(`REPORT_BUCKET "${reportBucket}" is not an S3 bucket name.`);
  }
  const securityHub = (env.SECURITY_HUB?.trim() || 'false').toLowerCase();
  if (securityHub !== 'true' && securityHub !== 'false') {
    throw new ConfigError(`SECURITY_HUB must be "true" or "false", not "${env.SECURITY_HUB}".`);
  }
  if (securityHub === 'true' && !stateTable) {
    throw new ConfigError(
      'SECURITY_HUB=true needs STATE_TABLE: Security Hub is told of new, changed and resolved findings, which come from the state.',
    );
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
    ...(stateTable ? { stateTable } : {}),
    retentionDays: Number(retention),
    ...(digest === 'NONE' ? {} : { digestWeekday: digestIndex }),
    ...(reportBucket ? { reportBucket } : {}),
    securityHub: securityHub === 'true',
    homeRegion: env.AWS_REGION?.trim() || regions[0] || 'us-east-1',
    reserveMs: Number(reserve) * 1000,
    timeouts: {
      connectMs: seconds('CONNECT_TIMEOUT_SECONDS', DEFAULT_HTTP_TIMEOUTS.connectMs),
      requestMs: seconds('REQUEST_TIMEOUT_SECONDS', DEFAULT_HTTP_TIMEOUTS.requestMs),
    },
    ...(baselineS3Uri ? { baselineS3Uri } : {}),
  };
};
