import type { AuditPorts, CredentialProvider } from '../ports.js';
import { createBatchInventory } from './batch-inventory.js';
import {
  createBatchClient,
  createEventBridgeClient,
  createIamClient,
  createStsClient,
  DEFAULT_HTTP_TIMEOUTS,
  type HttpTimeouts,
} from './clients.js';
import { createEventTargetFinder } from './event-targets.js';
import { createIamReader, type IamReadStrategy } from './iam-bulk-reader.js';
import { createStsIdentity } from './identity.js';

/** Options for {@link createAwsPorts}. */
export interface AwsPortsOptions {
  /** Region for the global IAM and STS clients (the first audited region; it also selects the partition). */
  readonly homeRegion: string;
  /** IAM calls in flight at once. */
  readonly iamConcurrency?: number;
  /** An endpoint override, named in connection errors. */
  readonly endpoint?: string | undefined;
  /** HTTP timeouts of every client (default {@link DEFAULT_HTTP_TIMEOUTS}). */
  readonly timeouts?: HttpTimeouts | undefined;
  /** Whose credentials: the default chain when absent (a profile's, or an assumed role's otherwise). */
  readonly credentials?: CredentialProvider | undefined;
  /** How IAM is read: `auto` (default) chooses per run from the account's size; `bulk` and `per-role` force one. */
  readonly iamReads?: IamReadStrategy | undefined;
  /** Told which IAM read strategy a run chose (progress lines). */
  readonly onNote?: ((note: string) => void) | undefined;
  /** A profile named with `--profile`, for the messages about its credentials. */
  readonly profile?: string | undefined;
  /** `--debug`: where one line per AWS request goes. */
  readonly requestLog?: ((line: string) => void) | undefined;
}

/** Builds the real AWS adapters. The only place SDK clients are created for an audit. */
export const createAwsPorts = (options: AwsPortsOptions): AuditPorts => {
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const who = { credentials: options.credentials, requestLog: options.requestLog };
  return {
    identity: createStsIdentity(createStsClient(options.homeRegion, timeouts, who), options.endpoint, options.profile),
    batch: createBatchInventory((region) => createBatchClient(region, timeouts, who)),
    events: createEventTargetFinder((region) => createEventBridgeClient(region, timeouts, who)),
    iam: createIamReader(createIamClient(options.homeRegion, timeouts, who), options.iamReads ?? 'auto', {
      ...(options.iamConcurrency === undefined ? {} : { concurrency: options.iamConcurrency }),
      ...(options.onNote ? { onNote: options.onNote } : {}),
    }),
  };
};
