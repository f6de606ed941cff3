import { BatchClient } from '@aws-sdk/client-batch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';

/**
 * Retries are adaptive: the client learns the account's IAM rate from Throttling answers and slows
 * down instead of failing. IAM's rate is per account and shared with every other caller, and unpublished.
 */
const RETRY = { retryMode: 'adaptive', maxAttempts: 8 } as const;

/** One IAM client per run: the adaptive rate limiter's state lives in the client instance. */
export const createIamClient = (region: string): IAMClient => new IAMClient({ region, ...RETRY });

/** A Batch client for one region (Batch is regional). */
export const createBatchClient = (region: string): BatchClient => new BatchClient({ region, ...RETRY });

/** An STS client for the identity check; two attempts, so a wrong endpoint fails fast. */
export const createStsClient = (region: string): STSClient => new STSClient({ region, maxAttempts: 2 });

/** An SNS client for the topic's region. */
export const createSnsClient = (region: string): SNSClient => new SNSClient({ region, maxAttempts: 5 });

/** An S3 client for reading the baseline. */
export const createS3Client = (region: string): S3Client => new S3Client({ region, maxAttempts: 5 });

/** An EventBridge client for one region. */
export const createEventBridgeClient = (region: string): EventBridgeClient =>
  new EventBridgeClient({ region, ...RETRY });
