import type { ComputeEnvironment, IamSnapshot } from '../../src/domain/model.js';
import type { AuditPorts, IamReadRequest } from '../../src/ports.js';
import { ACCOUNT } from './domain.js';

/** Hand-written ports: compute environments per region (or an Error to throw) and a fixed snapshot. */
export const fakePorts = (
  regions: Record<string, ComputeEnvironment[] | Error>,
  snapshot: IamSnapshot,
  requests: IamReadRequest[] = [],
): AuditPorts => ({
  identity: {
    whoAmI: async () => ({ account: ACCOUNT, partition: 'aws', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/a/b` }),
  },
  batch: {
    listComputeEnvironments: async (region) => {
      const found = regions[region] ?? [];
      if (found instanceof Error) throw found;
      return found;
    },
    listJobQueues: async () => [],
    listJobDefinitions: async () => [],
  },
  events: { targetsFor: async () => [] },
  iam: {
    read: async (request) => {
      requests.push(request);
      return snapshot;
    },
  },
});

/** Credential factories for CLI tests that must not touch any AWS file or endpoint: each use is an error. */
export const NO_CREDENTIALS = {
  profile: (name: string) => async () => {
    throw new Error(`no profile ${name} in a unit test`);
  },
  assumeRole:
    ({ roleArn }: { roleArn: string }) =>
    async () => {
      throw new Error(`no role ${roleArn} in a unit test`);
    },
  profileRegion: async () => undefined,
};
