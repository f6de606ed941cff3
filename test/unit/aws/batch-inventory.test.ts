import { BatchClient, DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createBatchInventory,
  toComputeEnvironment,
  toJobDefinition,
  toJobQueue,
} from '../../../src/aws/batch-inventory.js';

const batchMock = mockClient(BatchClient);

describe('createBatchInventory', () => {
  beforeEach(() => batchMock.reset());

  it('takes a page without its list for a broken answer, never for "no compute environment"', async () => {
    batchMock.on(DescribeComputeEnvironmentsCommand).resolves({});
    await expect(
      createBatchInventory(() => new BatchClient({})).listComputeEnvironments('us-east-1'),
    ).rejects.toMatchObject({ name: 'EmptyResponse' });
  });

  it('follows nextToken through every page', async () => {
    // Prepare
    batchMock
      .on(DescribeComputeEnvironmentsCommand)
      .resolvesOnce({
        computeEnvironments: [{ computeEnvironmentName: 'a', computeEnvironmentArn: 'arn:a' }],
        nextToken: 't1',
      })
      .resolvesOnce({ computeEnvironments: [{ computeEnvironmentName: 'b', computeEnvironmentArn: 'arn:b' }] });
    // Act
    const found = await createBatchInventory((region) => new BatchClient({ region })).listComputeEnvironments(
      'eu-west-1',
    );
    // Assess
    expect(found.map((ce) => [ce.name, ce.region])).toEqual([
      ['a', 'eu-west-1'],
      ['b', 'eu-west-1'],
    ]);
    expect(batchMock).toHaveReceivedNthCommandWith(DescribeComputeEnvironmentsCommand, 2, { nextToken: 't1' });
  });

  it('creates one client per region and reuses it', async () => {
    batchMock.on(DescribeComputeEnvironmentsCommand).resolves({ computeEnvironments: [] });
    const created: string[] = [];
    const inventory = createBatchInventory((region) => {
      created.push(region);
      return new BatchClient({ region });
    });
    await inventory.listComputeEnvironments('us-east-1');
    await inventory.listComputeEnvironments('us-east-1');
    await inventory.listComputeEnvironments('eu-west-1');
    expect(created).toEqual(['us-east-1', 'eu-west-1']);
  });
});

describe('toComputeEnvironment', () => {
  it('maps an EKS SPOT compute environment with its roles and status', () => {
    const ce = toComputeEnvironment(
      {
        computeEnvironmentName: 'eks-spot',
        computeEnvironmentArn: 'arn:aws:batch:us-east-1:123456789012:compute-environment/eks-spot',
        type: 'MANAGED',
        status: 'INVALID',
        statusReason: 'CLIENT_ERROR - Instance profile arn:aws:iam::123456789012:instance-profile/x does not exist',
        eksConfiguration: {
          eksClusterArn: 'arn:aws:eks:us-east-1:123456789012:cluster/c',
          kubernetesNamespace: 'batch',
        },
        computeResources: {
          type: 'SPOT',
          maxvCpus: 4,
          subnets: [],
          instanceRole: 'arn:aws:iam::123456789012:instance-profile/x',
          spotIamFleetRole: 'arn:aws:iam::123456789012:role/spot',
          allocationStrategy: 'SPOT_CAPACITY_OPTIMIZED',
        },
      },
      'us-east-1',
    );
    expect(ce).toMatchObject({
      orchestration: 'EKS',
      status: 'INVALID',
      resourceType: 'SPOT',
      instanceRole: 'arn:aws:iam::123456789012:instance-profile/x',
      spotIamFleetRole: 'arn:aws:iam::123456789012:role/spot',
      serviceRole: undefined,
    });
  });

  it('maps an UNMANAGED compute environment without compute resources', () => {
    const ce = toComputeEnvironment(
      {
        computeEnvironmentName: 'u',
        computeEnvironmentArn: 'arn:u',
        type: 'UNMANAGED',
        serviceRole: 'arn:aws:iam::1:role/s',
      },
      'us-east-1',
    );
    expect(ce).toMatchObject({
      type: 'UNMANAGED',
      orchestration: 'ECS',
      instanceRole: undefined,
      resourceType: undefined,
    });
  });
});

describe('toJobDefinition', () => {
  it('collects job and execution roles from containers, ECS tasks and multi-node ranges', () => {
    const definition = toJobDefinition(
      {
        jobDefinitionName: 'mixed',
        jobDefinitionArn: 'arn:aws:batch:us-east-1:123456789012:job-definition/mixed:3',
        revision: 3,
        type: 'multinode',
        status: 'ACTIVE',
        platformCapabilities: ['FARGATE'],
        containerProperties: { image: 'i', jobRoleArn: 'arn:job-a', executionRoleArn: 'arn:exec-a' },
        ecsProperties: { taskProperties: [{ containers: [], taskRoleArn: 'arn:job-b' }] },
        nodeProperties: {
          numNodes: 2,
          mainNode: 0,
          nodeRangeProperties: [{ targetNodes: '0:', container: { image: 'i', executionRoleArn: 'arn:exec-c' } }],
        },
      },
      'us-east-1',
    );
    expect(definition).toEqual({
      arn: 'arn:aws:batch:us-east-1:123456789012:job-definition/mixed:3',
      name: 'mixed:3',
      region: 'us-east-1',
      platformCapabilities: ['FARGATE'],
      jobRoles: ['arn:job-a', 'arn:job-b'],
      executionRoles: ['arn:exec-a', 'arn:exec-c'],
      containersWithoutExecutionRole: 1,
      containers: [
        { executionRole: 'arn:exec-a', image: 'i', secrets: [] },
        { executionRole: 'arn:exec-c', image: 'i', secrets: [] },
      ],
    });
  });

  it('records what each container asks of its execution role: image, awslogs group and region, registry credentials, secrets', () => {
    const definition = toJobDefinition(
      {
        jobDefinitionName: 'etl',
        jobDefinitionArn: 'arn:aws:batch:eu-west-1:123456789012:job-definition/etl:7',
        revision: 7,
        type: 'container',
        platformCapabilities: ['FARGATE'],
        ecsProperties: {
          taskProperties: [
            {
              executionRoleArn: 'arn:exec',
              containers: [
                {
                  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:1',
                  logConfiguration: {
                    logDriver: 'awslogs',
                    options: { 'awslogs-group': '/jobs/etl', 'awslogs-region': 'eu-west-1' },
                    secretOptions: [
                      { name: 'token', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/log-token' },
                    ],
                  },
                  secrets: [{ name: 'db', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db' }],
                },
                {
                  image: 'registry.example.com/sidecar:2',
                  repositoryCredentials: {
                    credentialsParameter: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:reg',
                  },
                },
              ],
            },
          ],
        },
      },
      'eu-west-1',
    );
    expect(definition.containers).toEqual([
      {
        executionRole: 'arn:exec',
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:1',
        logDriver: 'awslogs',
        logGroup: '/jobs/etl',
        logRegion: 'eu-west-1',
        secrets: [
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
          'arn:aws:ssm:eu-west-1:123456789012:parameter/log-token',
        ],
      },
      {
        executionRole: 'arn:exec',
        image: 'registry.example.com/sidecar:2',
        registryCredentials: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:reg',
        secrets: [],
      },
    ]);
  });
});

describe('toJobQueue', () => {
  it('lists the compute environments a queue sends jobs to', () => {
    expect(
      toJobQueue(
        {
          jobQueueName: 'q',
          jobQueueArn: 'arn:q',
          state: 'ENABLED',
          priority: 1,
          computeEnvironmentOrder: [
            { order: 1, computeEnvironment: 'arn:ce-1' },
            { order: 2, computeEnvironment: 'arn:ce-2' },
          ],
        },
        'eu-west-1',
      ),
    ).toEqual({ arn: 'arn:q', name: 'q', region: 'eu-west-1', computeEnvironmentArns: ['arn:ce-1', 'arn:ce-2'] });
  });
});
