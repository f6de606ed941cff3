import type { AuditPorts } from '../ports.js';
import { createBatchInventory } from './batch-inventory.js';
import { createBatchClient, createEventBridgeClient, createIamClient, createStsClient } from './clients.js';
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
}

/** Builds the real AWS adapters. The only place SDK clients are created for an audit. */
export const createAwsPorts = (options: AwsPortsOptions): AuditPorts => ({
  identity: createStsIdentity(createStsClient(options.homeRegion), options.endpoint),
  batch: createBatchInventory(createBatchClient),
  events: createEventTargetFinder(createEventBridgeClient),
  iam: createPerRoleIamReader(
    createIamClient(options.homeRegion),
    options.iamConcurrency === undefined ? {} : { concurrency: options.iamConcurrency },
  ),
});
