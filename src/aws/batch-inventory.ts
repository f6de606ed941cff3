import {
  type BatchClient,
  type ComputeEnvironmentDetail,
  type JobDefinition as JobDefinitionDetail,
  type JobQueueDetail,
  paginateDescribeComputeEnvironments,
  paginateDescribeJobDefinitions,
  paginateDescribeJobQueues,
} from '@aws-sdk/client-batch';
import type { ComputeEnvironment, JobDefinition, JobQueue } from '../domain/model.js';
import type { BatchInventory } from '../ports.js';
import { abortable, untilAborted } from './abort.js';
import { EmptyResponse } from './errors.js';

/** Batch actions this adapter calls; the deployment's role must grant exactly these (checked by a test). */
export const BATCH_INVENTORY_PERMISSIONS = [
  'batch:DescribeComputeEnvironments',
  'batch:DescribeJobQueues',
  'batch:DescribeJobDefinitions',
] as const;

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

/** Maps a job queue: the compute environments it sends jobs to. */
export const toJobQueue = (detail: JobQueueDetail, region: string): JobQueue => ({
  arn: detail.jobQueueArn ?? '',
  name: detail.jobQueueName ?? '',
  region,
  computeEnvironmentArns: (detail.computeEnvironmentOrder ?? []).flatMap((o) =>
    o.computeEnvironment ? [o.computeEnvironment] : [],
  ),
});

/**
 * Maps a job definition: its job and execution roles wherever they are (containerProperties,
 * ecsProperties.taskProperties[], nodeProperties.nodeRangeProperties[]), and how many containers lack
 * an execution role. EKS job definitions use service accounts, not IAM roles here.
 */
export const toJobDefinition = (detail: JobDefinitionDetail, region: string): JobDefinition => {
  const containers: { jobRoleArn?: string | undefined; executionRoleArn?: string | undefined }[] = [];
  if (detail.containerProperties) containers.push(detail.containerProperties);
  for (const task of detail.ecsProperties?.taskProperties ?? []) {
    containers.push({ jobRoleArn: task.taskRoleArn, executionRoleArn: task.executionRoleArn });
  }
  for (const range of detail.nodeProperties?.nodeRangeProperties ?? []) {
    if (range.container) containers.push(range.container);
    for (const task of range.ecsProperties?.taskProperties ?? []) {
      containers.push({ jobRoleArn: task.taskRoleArn, executionRoleArn: task.executionRoleArn });
    }
  }
  return {
    arn: detail.jobDefinitionArn ?? '',
    name: `${detail.jobDefinitionName ?? ''}:${detail.revision ?? ''}`,
    region,
    platformCapabilities: detail.platformCapabilities ?? [],
    jobRoles: containers.flatMap((c) => (c.jobRoleArn ? [c.jobRoleArn] : [])),
    executionRoles: containers.flatMap((c) => (c.executionRoleArn ? [c.executionRoleArn] : [])),
    containersWithoutExecutionRole: containers.filter((c) => !c.executionRoleArn).length,
  };
};

/** Lists Batch resources with one client per region, following every `nextToken`. */
export const createBatchInventory = (clientFor: (region: string) => BatchClient): BatchInventory => {
  const clients = new Map<string, BatchClient>();
  const client = (region: string): BatchClient => {
    const existing = clients.get(region) ?? clientFor(region);
    clients.set(region, existing);
    return existing;
  };
  const inventory: BatchInventory = {
    async listComputeEnvironments(region, signal) {
      const found: ComputeEnvironment[] = [];
      for await (const page of paginateDescribeComputeEnvironments(
        { client: client(region), pageSize: 100 },
        {},
        ...abortable(signal),
      )) {
        signal?.throwIfAborted();
        // Batch always sends the list, empty or not: a page without it is a broken answer, not "none".
        if (!page.computeEnvironments) throw new EmptyResponse('batch:DescribeComputeEnvironments');
        for (const detail of page.computeEnvironments) found.push(toComputeEnvironment(detail, region));
      }
      return found;
    },
    async listJobQueues(region, signal) {
      const found: JobQueue[] = [];
      for await (const page of paginateDescribeJobQueues(
        { client: client(region), pageSize: 100 },
        {},
        ...abortable(signal),
      )) {
        signal?.throwIfAborted();
        if (!page.jobQueues) throw new EmptyResponse('batch:DescribeJobQueues');
        for (const detail of page.jobQueues) found.push(toJobQueue(detail, region));
      }
      return found;
    },
    async listJobDefinitions(region, signal) {
      const found: JobDefinition[] = [];
      const pages = paginateDescribeJobDefinitions(
        { client: client(region), pageSize: 100 },
        { status: 'ACTIVE' },
        ...abortable(signal),
      );
      for await (const page of pages) {
        signal?.throwIfAborted();
        if (!page.jobDefinitions) throw new EmptyResponse('batch:DescribeJobDefinitions');
        for (const detail of page.jobDefinitions) {
          // moto ignores the status filter; real Batch honours it.
          if (detail.status === undefined || detail.status === 'ACTIVE') found.push(toJobDefinition(detail, region));
        }
      }
      return found;
    },
  };
  // Retries back off without watching the signal: a deadline must end a listing at once.
  return {
    listComputeEnvironments: (region, signal) =>
      untilAborted(inventory.listComputeEnvironments(region, signal), signal),
    listJobQueues: (region, signal) => untilAborted(inventory.listJobQueues(region, signal), signal),
    listJobDefinitions: (region, signal) => untilAborted(inventory.listJobDefinitions(region, signal), signal),
  };
};
