import {
  type BatchClient,
  type ComputeEnvironmentDetail,
  type EcsTaskProperties,
  type JobDefinition as JobDefinitionDetail,
  type JobQueueDetail,
  type LogConfiguration,
  paginateDescribeComputeEnvironments,
  paginateDescribeJobDefinitions,
  paginateDescribeJobQueues,
  type Secret,
} from '@aws-sdk/client-batch';
import type { ComputeEnvironment, JobContainer, JobDefinition, JobQueue } from '../domain/model.js';
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

/** The SDK's container shapes, reduced to what the execution role serves. */
interface ContainerLike {
  readonly image?: string | undefined;
  readonly logConfiguration?: LogConfiguration | undefined;
  readonly repositoryCredentials?: { credentialsParameter?: string | undefined } | undefined;
  readonly secrets?: readonly Secret[] | undefined;
}

/** One container's needs of its execution role: image, awslogs destination, private registry credentials, secrets. */
const toContainer = (container: ContainerLike, executionRole: string | undefined): JobContainer => {
  const log = container.logConfiguration;
  return {
    executionRole,
    image: container.image,
    logDriver: log?.logDriver,
    logGroup: log?.options?.['awslogs-group'],
    logRegion: log?.options?.['awslogs-region'],
    registryCredentials: container.repositoryCredentials?.credentialsParameter,
    secrets: [...(container.secrets ?? []), ...(log?.secretOptions ?? [])].flatMap((s) =>
      s.valueFrom ? [s.valueFrom] : [],
    ),
  };
};

/**
 * Maps a job definition: its job and execution roles wherever they are (containerProperties,
 * ecsProperties.taskProperties[], nodeProperties.nodeRangeProperties[]), how many containers lack
 * an execution role, and what each container asks of it. EKS job definitions use service accounts, not IAM roles here.
 */
export const toJobDefinition = (detail: JobDefinitionDetail, region: string): JobDefinition => {
  const roles: { jobRoleArn?: string | undefined; executionRoleArn?: string | undefined }[] = [];
  const containers: JobContainer[] = [];
  const addTask = (task: EcsTaskProperties) => {
    roles.push({ jobRoleArn: task.taskRoleArn, executionRoleArn: task.executionRoleArn });
    for (const container of task.containers ?? []) containers.push(toContainer(container, task.executionRoleArn));
  };
  if (detail.containerProperties) {
    roles.push(detail.containerProperties);
    containers.push(toContainer(detail.containerProperties, detail.containerProperties.executionRoleArn));
  }
  for (const task of detail.ecsProperties?.taskProperties ?? []) addTask(task);
  for (const range of detail.nodeProperties?.nodeRangeProperties ?? []) {
    if (range.container) {
      roles.push(range.container);
      containers.push(toContainer(range.container, range.container.executionRoleArn));
    }
    for (const task of range.ecsProperties?.taskProperties ?? []) addTask(task);
  }
  return {
    arn: detail.jobDefinitionArn ?? '',
    name: `${detail.jobDefinitionName ?? ''}:${detail.revision ?? ''}`,
    region,
    platformCapabilities: detail.platformCapabilities ?? [],
    jobRoles: roles.flatMap((c) => (c.jobRoleArn ? [c.jobRoleArn] : [])),
    executionRoles: roles.flatMap((c) => (c.executionRoleArn ? [c.executionRoleArn] : [])),
    containersWithoutExecutionRole: roles.filter((c) => !c.executionRoleArn).length,
    containers,
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
