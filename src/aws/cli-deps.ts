import type { CliDeps } from '../cli/main.js';
import { createDynamoClient, createEc2Client, createOrganizationsClient, createSnsClient } from './clients.js';
import { assumedRoleCredentials, profileCredentials, profileRegion } from './credentials.js';
import { enabledRegions } from './enabled-regions.js';
import { createDynamoStateStore } from './finding-state.js';
import { createOrganizationDirectory } from './organization.js';
import { createAwsPorts } from './ports.js';
import { createSnsPublisher } from './sns-publisher.js';

/** The CLI's real AWS adapters. */
export const AWS_CLI_DEPS: CliDeps = {
  // Only the CLI lists enabled regions (--regions all): the Lambda bundles leave the EC2 client out.
  createPorts: (options) => ({
    ...createAwsPorts(options),
    regions: {
      enabledRegions: (signal) =>
        enabledRegions(
          createEc2Client(options.homeRegion, options.timeouts, { credentials: options.credentials }),
          signal,
        ),
    },
  }),
  createPublisher: (credentials) => createSnsPublisher((region) => createSnsClient(region, undefined, { credentials })),
  createDirectory: ({ homeRegion, timeouts, credentials }) =>
    createOrganizationDirectory(createOrganizationsClient(homeRegion, timeouts, { credentials })),
  credentials: { profile: profileCredentials, assumeRole: assumedRoleCredentials, profileRegion },
  createStateStore: ({ table, homeRegion, timeouts, credentials }) =>
    createDynamoStateStore(createDynamoClient(homeRegion, timeouts, { credentials }), table),
};
