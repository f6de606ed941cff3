import { lastSegment } from './baseline.js';
import type {
  ComputeEnvironment,
  EventTarget,
  InstanceProfileState,
  JobDefinition,
  JobQueue,
  Read,
  RoleKind,
} from './model.js';

/** How something reaches a role. `service` is resolved to a role kind once the role's path is known. */
export type UseKind = 'service' | Exclude<RoleKind, 'service-linked-role' | 'service-role'>;

/** What depends on a role: the blast radius of its drift. */
export interface Dependent {
  readonly type: 'compute-environment' | 'job-definition' | 'event-rule';
  readonly arn: string;
}

/** One dependency on a role. */
export interface RoleUse {
  readonly kind: UseKind;
  readonly dependent: Dependent;
  /** The value the dependent holds (name, path-qualified name or ARN), or the profile it came through. */
  readonly referencedAs: string;
}

/** The roles and instance profiles an audit must read, each once, with who depends on them. */
export interface ReferencePlan {
  /** Lower-cased role name → display name and uses. IAM role names are unique case-insensitively. */
  readonly roles: Map<string, { name: string; arn?: string; uses: RoleUse[] }>;
  /** Lower-cased instance profile name → display name, the role kind it serves and dependants. */
  readonly instanceProfiles: Map<
    string,
    { name: string; arn?: string; kind: 'instance-role' | 'eks-node-role'; computeEnvironmentArns: string[] }
  >;
  /** Compute environment ARN → the job queues that send jobs to it. */
  readonly queuesByComputeEnvironment: Map<string, string[]>;
  /** The EventBridge rule targets that submit to the audited job queues. */
  readonly eventTargets: readonly EventTarget[];
  readonly jobDefinitions: readonly JobDefinition[];
}

/** What a plan is built from: everything listed in the audited regions. */
export interface Inventory {
  readonly computeEnvironments: readonly ComputeEnvironment[];
  readonly jobQueues?: readonly JobQueue[];
  readonly jobDefinitions?: readonly JobDefinition[];
  readonly eventTargets?: readonly EventTarget[];
}

/** The name of the role or profile behind a value that may be a name, `path/name` or an ARN. */
export const entityName = (value: string): string =>
  lastSegment(value.startsWith('arn:') ? value.split(':').slice(5).join(':') : value);

const addRole = (plan: ReferencePlan, value: string, use: Omit<RoleUse, 'referencedAs'>): void => {
  const name = entityName(value);
  const key = name.toLowerCase();
  const entry = plan.roles.get(key) ?? { name, uses: [] };
  if (value.startsWith('arn:') && !entry.arn) entry.arn = value;
  entry.uses.push({ ...use, referencedAs: value });
  plan.roles.set(key, entry);
};

/**
 * Works out which roles and instance profiles the inventory depends on: compute environments
 * (service, instance and Spot Fleet roles), job definitions (job and execution roles) and EventBridge
 * targets (their roles). A compute environment without `serviceRole` relies on the Batch service-linked role.
 */
export const planReferences = (inventory: Inventory, slrName: string): ReferencePlan => {
  const plan: ReferencePlan = {
    roles: new Map(),
    instanceProfiles: new Map(),
    queuesByComputeEnvironment: new Map(),
    eventTargets: inventory.eventTargets ?? [],
    jobDefinitions: inventory.jobDefinitions ?? [],
  };
  for (const ce of inventory.computeEnvironments) {
    const dependent: Dependent = { type: 'compute-environment', arn: ce.arn };
    addRole(plan, ce.serviceRole?.trim() || slrName, { kind: 'service', dependent });
    const onFargate = ce.resourceType === 'FARGATE' || ce.resourceType === 'FARGATE_SPOT';
    if (ce.instanceRole && !onFargate) {
      const name = entityName(ce.instanceRole);
      const key = name.toLowerCase();
      const entry = plan.instanceProfiles.get(key) ?? {
        name,
        kind: ce.orchestration === 'EKS' ? 'eks-node-role' : 'instance-role',
        computeEnvironmentArns: [],
      };
      if (ce.instanceRole.startsWith('arn:') && !entry.arn) entry.arn = ce.instanceRole;
      entry.computeEnvironmentArns.push(ce.arn);
      plan.instanceProfiles.set(key, entry);
    }
    if (ce.spotIamFleetRole && !onFargate) addRole(plan, ce.spotIamFleetRole, { kind: 'spot-fleet-role', dependent });
  }
  for (const queue of inventory.jobQueues ?? []) {
    for (const ce of queue.computeEnvironmentArns) {
      plan.queuesByComputeEnvironment.set(ce, [...(plan.queuesByComputeEnvironment.get(ce) ?? []), queue.arn]);
    }
  }
  for (const definition of inventory.jobDefinitions ?? []) {
    const dependent: Dependent = { type: 'job-definition', arn: definition.arn };
    for (const role of new Set(definition.jobRoles)) addRole(plan, role, { kind: 'job-role', dependent });
    for (const role of new Set(definition.executionRoles)) addRole(plan, role, { kind: 'execution-role', dependent });
  }
  for (const target of inventory.eventTargets ?? []) {
    if (target.roleArn) {
      addRole(plan, target.roleArn, {
        kind: 'eventbridge-role',
        dependent: { type: 'event-rule', arn: target.ruleArn },
      });
    }
  }
  return plan;
};

/** Adds the roles found inside instance profiles to the plan, as instance or EKS node roles. */
export const addProfileRoles = (
  plan: ReferencePlan,
  profiles: ReadonlyMap<string, Read<InstanceProfileState>>,
): ReferencePlan => {
  for (const [key, entry] of plan.instanceProfiles) {
    const read = profiles.get(key);
    if (read?.status !== 'found') continue;
    for (const roleName of read.value.roleNames) {
      for (const ce of entry.computeEnvironmentArns) {
        const use = { kind: entry.kind, dependent: { type: 'compute-environment' as const, arn: ce } };
        const existing = plan.roles.get(roleName.toLowerCase()) ?? { name: roleName, uses: [] };
        existing.uses.push({ ...use, referencedAs: `instance profile ${entry.name}` });
        plan.roles.set(roleName.toLowerCase(), existing);
      }
    }
  }
  return plan;
};
