import {
  type BatchClient,
  type ComputeEnvironmentDetail,
  paginateDescribeComputeEnvironments,
} from '@aws-sdk/client-batch';
import type { ComputeEnvironment } from '../domain/model.js';
import type { BatchInventory } from '../ports.js';

/** Batch actions this adapter calls; the deployment's role must grant exactly these (checked by a test). */
export const BATCH_INVENTORY_PERMISSIONS = ['batch:DescribeComputeEnvironments'] as const;

/** Maps the SDK's compute environment onto the domain's; absent fields stay absent. */
export const toComputeEnvironment = (detail: ComputeEnvironmentDetail, region: string): ComputeEnvironment => {
  const resources = detail.computeResources;
  return {
    arn: detail.computeEnvironmentArn ?? '',
    name: detail.computeEnvironmentName ?? '',
    region,
    type: detail.type ?? 'MANAGED',
    status: detail.status,
    statusReason: detail.statusReason,
    orchestration: detail.containerOrchestrationType === 'EKS' || detail.eksConfiguration ? 'EKS' : 'ECS',
    serviceRole: detail.serviceRole,
    resourceType: resources?.type,
    instanceRole: resources?.instanceRole,
    spotIamFleetRole: resources?.spotIamFleetRole,
    allocationStrategy: resources?.allocationStrategy,
    tags: detail.tags,
  };
};

/** Lists compute environments with one Batch client per region, following every `nextToken`. */
export const createBatchInventory = (clientFor: (region: string) => BatchClient): BatchInventory => {
  const clients = new Map<string, BatchClient>();
  return {
    async listComputeEnvironments(region, signal) {
      const client = clients.get(region) ?? clientFor(region);
      clients.set(region, client);
      const found: ComputeEnvironment[] = [];
      for await (const page of paginateDescribeComputeEnvironments({ client, pageSize: 100 }, {})) {
        signal?.throwIfAborted();
        for (const detail of page.computeEnvironments ?? []) found.push(toComputeEnvironment(detail, region));
      }
      return found;
    },
  };
};
