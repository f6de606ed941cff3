import type { CliDeps } from '../cli/main.js';
import { createOrganizationsClient, createSnsClient } from './clients.js';
import { assumedRoleCredentials, profileCredentials, profileRegion } from './credentials.js';
import { createOrganizationDirectory } from './organization.js';
import { createAwsPorts } from './ports.js';
import { createSnsPublisher } from './sns-publisher.js';

/** The CLI's real AWS adapters. */
export const AWS_CLI_DEPS: CliDeps = {
  createPorts: createAwsPorts,
  createPublisher: (credentials) => createSnsPublisher((region) => createSnsClient(region, undefined, { credentials })),
  createDirectory: ({ homeRegion, timeouts, credentials }) =>
    createOrganizationDirectory(createOrganizationsClient(homeRegion, timeouts, { credentials })),
  credentials: { profile: profileCredentials, assumeRole: assumedRoleCredentials, profileRegion },
};
