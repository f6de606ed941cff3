import type { AuditPorts } from '../ports.js';
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
import { createPerRoleIamReader } from './iam-reader.js';
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
}

/** Builds the real AWS adapters. The only place SDK clients are created for an audit. */
export const createAwsPorts = (options: AwsPortsOptions): AuditPorts => {
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  return {
    identity: createStsIdentity(createStsClient(options.homeRegion, timeouts), options.endpoint),
    batch: createBatchInventory((region) => createBatchClient(region, timeouts)),
    events: createEventTargetFinder((region) => createEventBridgeClient(region, timeouts)),
    iam: createPerRoleIamReader(
      createIamClient(options.homeRegion, timeouts),
      options.iamConcurrency === undefined ? {} : { concurrency: options.iamConcurrency },
    ),
  };
};
