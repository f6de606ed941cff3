import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import type { CredentialProvider } from '../ports.js';
import { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts } from './timeouts.js';

export { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts } from './timeouts.js';

// Without a request timeout an endpoint that accepts the connection and never answers hangs the audit
// forever; `throwOnRequestTimeout` makes the SDK fail the request instead of only logging a warning.
/** Whose credentials a client signs with (the default chain when empty), and where its request log goes. */
export interface ClientAuth {
  readonly credentials?: CredentialProvider | undefined;
  /** `--debug`: one line per AWS request (see {@link requestLogger}); none when absent. */
  readonly requestLog?: ((line: string) => void) | undefined;
}

/**
 * The SDK's logger, reduced to one line per request: service, operation, HTTP status, attempts and
 * retry delay, or the error's name. Inputs and outputs are never written: they hold policy documents,
 * and a credentials call's output holds secrets.
 */
export const requestLogger = (write: (line: string) => void) => {
  const line = (entry: unknown, outcome: string) => {
    const e = (entry ?? {}) as {
      clientName?: string;
      commandName?: string;
      metadata?: { httpStatusCode?: number; attempts?: number; totalRetryDelay?: number; requestId?: string };
    };
    const m = e.metadata ?? {};
    write(
      `aws: ${(e.clientName ?? '').replace(/Client$/, '')} ${(e.commandName ?? '').replace(/Command$/, '')} ${outcome} attempts=${m.attempts ?? 1} retryDelay=${m.totalRetryDelay ?? 0}ms${m.requestId ? ` requestId=${m.requestId}` : ''}`,
    );
  };
  return {
    debug: () => undefined,
    trace: () => undefined,
    info: (entry: unknown) =>
      line(entry, String((entry as { metadata?: { httpStatusCode?: number } })?.metadata?.httpStatusCode ?? 'ok')),
    warn: () => undefined,
    error: (entry: unknown) => {
      const error = (entry as { error?: { name?: string; $metadata?: { httpStatusCode?: number } } })?.error;
      line(entry, `failed ${error?.$metadata?.httpStatusCode ?? ''} ${error?.name ?? 'Error'}`.replace('  ', ' '));
    },
  };
};

const auth = (a: ClientAuth | undefined) => ({
  ...(a?.credentials ? { credentials: a.credentials } : {}),
  ...(a?.requestLog ? { logger: requestLogger(a.requestLog) } : {}),
});

const http = (timeouts: HttpTimeouts) => ({
  requestHandler: {
    connectionTimeout: timeouts.connectMs,
    requestTimeout: timeouts.requestMs,
    throwOnRequestTimeout: true,
  },
});

/**
 * Retries are adaptive: the client learns the account's IAM rate from Throttling answers and slows
 * down instead of failing. IAM's rate is per account and shared with every other caller, and unpublished.
 */
const RETRY = { retryMode: 'adaptive', maxAttempts: 8 } as const;

/** One IAM client per run: the adaptive rate limiter's state lives in the client instance. */
export const createIamClient = (region: string, timeouts = DEFAULT_HTTP_TIMEOUTS, who?: ClientAuth): IAMClient =>
  new IAMClient({ region, ...RETRY, ...http(timeouts), ...auth(who) });

/** A Batch client for one region (Batch is regional). */
export const createBatchClient = (region: string, timeouts = DEFAULT_HTTP_TIMEOUTS, who?: ClientAuth): BatchClient =>
  new BatchClient({ region, ...RETRY, ...http(timeouts), ...auth(who) });

/** An STS client for the identity check; two attempts, so a wrong endpoint fails fast. */
export const createStsClient = (region: string, timeouts = DEFAULT_HTTP_TIMEOUTS, who?: ClientAuth): STSClient =>
  new STSClient({ region, maxAttempts: 2, ...http(timeouts), ...auth(who) });

/** An SNS client for the topic's region. */
export const createSnsClient = (region: string, timeouts = DEFAULT_HTTP_TIMEOUTS, who?: ClientAuth): SNSClient =>
  new SNSClient({ region, maxAttempts: 5, ...http(timeouts), ...auth(who) });

/**
 * An S3 client for reading the baseline. The bucket may live in another region than the audit's
 * first: S3 answers with a redirect, which the client follows.
 */
export const createS3Client = (region: string, timeouts = DEFAULT_HTTP_TIMEOUTS, who?: ClientAuth): S3Client =>
  new S3Client({ region, maxAttempts: 5, followRegionRedirects: true, ...http(timeouts), ...auth(who) });

/** A DynamoDB client for the state table; adaptive retries, as overlapping runs and on-demand tables throttle. */
export const createDynamoClient = (
  region: string,
  timeouts = DEFAULT_HTTP_TIMEOUTS,
  who?: ClientAuth,
): DynamoDBClient => new DynamoDBClient({ region, ...RETRY, ...http(timeouts), ...auth(who) });

/** A Security Hub client for the region findings are imported into. */
export const createSecurityHubClient = (
  region: string,
  timeouts = DEFAULT_HTTP_TIMEOUTS,
  who?: ClientAuth,
): SecurityHubClient => new SecurityHubClient({ region, ...RETRY, ...http(timeouts), ...auth(who) });

/** An EventBridge client for one region. */
export const createEventBridgeClient = (
  region: string,
  timeouts = DEFAULT_HTTP_TIMEOUTS,
  who?: ClientAuth,
): EventBridgeClient => new EventBridgeClient({ region, ...RETRY, ...http(timeouts), ...auth(who) });

/** An EC2 client for one region, used only to list the account's enabled regions. */
export const createEc2Client = (region: string, timeouts = DEFAULT_HTTP_TIMEOUTS, who?: ClientAuth): EC2Client =>
  new EC2Client({ region, maxAttempts: 5, ...http(timeouts), ...auth(who) });

/** An Organizations client (its endpoint is global; the region selects the partition). */
export const createOrganizationsClient = (
  region: string,
  timeouts = DEFAULT_HTTP_TIMEOUTS,
  who?: ClientAuth,
): OrganizationsClient => new OrganizationsClient({ region, ...RETRY, ...http(timeouts), ...auth(who) });
