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

/** A reference that cannot name a role of the audited account: another account or partition. */
export interface ForeignReference extends RoleUse {
  /** `account 210987654321` or `partition aws-cn`: what differs from the audited account. */
  readonly differs: string;
  readonly entity: 'role' | 'instance-profile';
}

/** The roles and instance profiles an audit must read, each once, with who depends on them. */
export interface ReferencePlan {
  /** Lower-cased role name → display name and uses. IAM role names are unique case-insensitively. */
  readonly roles: Map<string, { name: string; arn?: string; uses: RoleUse[] }>;
  /** Lower-cased instance profile name → display name and the compute environments (with the role kind each needs). */
  readonly instanceProfiles: Map<
    string,
    {
      name: string;
      arn?: string;
      computeEnvironments: { arn: string; kind: 'instance-role' | 'eks-node-role' }[];
    }
  >;
  /** References to roles or profiles of another account or partition: never read, never audited by name. */
  readonly foreign: ForeignReference[];
  /** Compute environment ARN → the job queues that send jobs to it. */
  readonly queuesByComputeEnvironment: Map<string, string[]>;
  /** The EventBridge rule targets that submit to the audited job queues, with the job definition each submits resolved. */
  readonly eventTargets: readonly EventTarget[];
  /** The job definitions audited as such: the latest ACTIVE revision of each name, and any revision a target pins. */
  readonly jobDefinitions: readonly JobDefinition[];
  /** Older ACTIVE revisions nothing pins: their roles are read, but drift is reported once per name, at low. */
  readonly supersededJobDefinitions: readonly JobDefinition[];
}

/** What a plan is built from: everything listed in the audited regions. */
export interface Inventory {
  readonly computeEnvironments: readonly ComputeEnvironment[];
  readonly jobQueues?: readonly JobQueue[];
  readonly jobDefinitions?: readonly JobDefinition[];
  readonly eventTargets?: readonly EventTarget[];
}

/** The account a plan is for: references to other accounts or partitions cannot resolve to its roles. */
export interface PlanScope {
  readonly serviceLinkedRoleName: string;
  readonly account: string;
  readonly partition: string;
}

/** The name of the role or profile behind a value that may be a name, `path/name` or an ARN. */
export const entityName = (value: string): string =>
  lastSegment(value.startsWith('arn:') ? value.split(':').slice(5).join(':') : value);

/** What makes an ARN reference foreign to the audited account, or undefined when it is local (or not an ARN). */
const foreignness = (value: string, scope: PlanScope): string | undefined => {
  if (!value.startsWith('arn:')) return undefined;
  const [, partition, , , account] = value.split(':');
  if (partition !== scope.partition) return `partition ${partition}`;
  if (account !== scope.account) return `account ${account}`;
  return undefined;
};

const addRole = (plan: ReferencePlan, scope: PlanScope, value: string, use: Omit<RoleUse, 'referencedAs'>): void => {
  const differs = foreignness(value, scope);
  if (differs) {
    plan.foreign.push({ ...use, referencedAs: value, differs, entity: 'role' });
    return;
  }
  const name = entityName(value);
  const key = name.toLowerCase();
  const entry = plan.roles.get(key) ?? { name, uses: [] };
  if (value.startsWith('arn:') && !entry.arn) entry.arn = value;
  entry.uses.push({ ...use, referencedAs: value });
  plan.roles.set(key, entry);
};

/** `NAME:REV` of a job definition, from its ARN (`…:job-definition/NAME:REV`). */
const familyAndRevision = (definition: JobDefinition): { family: string; revision: number } => {
  const tail = lastSegment(definition.arn);
  const colon = tail.lastIndexOf(':');
  return colon < 0
    ? { family: tail, revision: 0 }
    : { family: tail.slice(0, colon), revision: Number(tail.slice(colon + 1)) || 0 };
};

/**
 * The ARN (with revision) a SubmitJob request from this target carries: a full ARN as given, `NAME:REV`
 * as that revision, and a bare name as the latest ACTIVE revision. Undefined when no ACTIVE revision matches.
 */
export const resolveJobDefinition = (
  target: EventTarget,
  latest: ReadonlyMap<string, JobDefinition>,
  all: readonly JobDefinition[],
): string | undefined => {
  const given = target.jobDefinition?.trim();
  if (!given) return undefined;
  const inRegion = (d: JobDefinition) => d.region === target.region;
  if (given.startsWith('arn:')) {
    if (/:\d+$/.test(lastSegment(given))) return given;
    return latest.get(`${target.region}|${lastSegment(given)}`)?.arn;
  }
  if (/:\d+$/.test(given)) {
    return all.find((d) => inRegion(d) && lastSegment(d.arn) === given)?.arn;
  }
  return latest.get(`${target.region}|${given}`)?.arn;
};

/** Splits job definitions into the ones audited (latest per name, or pinned by a target) and superseded revisions. */
const splitRevisions = (definitions: readonly JobDefinition[], targets: readonly EventTarget[]) => {
  const latest = new Map<string, JobDefinition>();
  for (const definition of definitions) {
    const { family, revision } = familyAndRevision(definition);
    const key = `${definition.region}|${family}`;
    const held = latest.get(key);
    if (!held || familyAndRevision(held).revision < revision) latest.set(key, definition);
  }
  const resolvedTargets = targets.map((t) => {
    const arn = resolveJobDefinition(t, latest, definitions);
    return arn ? { ...t, jobDefinitionArn: arn } : t;
  });
  const pinned = new Set(resolvedTargets.flatMap((t) => (t.jobDefinitionArn ? [t.jobDefinitionArn] : [])));
  const current = new Set([...latest.values()].map((d) => d.arn));
  return {
    audited: definitions.filter((d) => current.has(d.arn) || pinned.has(d.arn)),
    superseded: definitions.filter((d) => !current.has(d.arn) && !pinned.has(d.arn)),
    targets: resolvedTargets,
  };
};

/** The family name of a job definition (its name without the revision). */
export const jobDefinitionFamily = (definition: JobDefinition): string => familyAndRevision(definition).family;

/**
 * Works out which roles and instance profiles the inventory depends on: compute environments
 * (service, instance and Spot Fleet roles), job definitions (job and execution roles) and EventBridge
 * targets (their roles). A compute environment without `serviceRole` relies on the Batch service-linked role.
 * A reference to another account or partition is set aside as foreign: the local role of the same name is not it.
 */
export const planReferences = (inventory: Inventory, scope: PlanScope): ReferencePlan => {
  const { audited, superseded, targets } = splitRevisions(inventory.jobDefinitions ?? [], inventory.eventTargets ?? []);
  const plan: ReferencePlan = {
    roles: new Map(),
    instanceProfiles: new Map(),
    foreign: [],
    queuesByComputeEnvironment: new Map(),
    eventTargets: targets,
    jobDefinitions: audited,
    supersededJobDefinitions: superseded,
  };
  for (const ce of inventory.computeEnvironments) {
    const dependent: Dependent = { type: 'compute-environment', arn: ce.arn };
    addRole(plan, scope, ce.serviceRole?.trim() || scope.serviceLinkedRoleName, { kind: 'service', dependent });
    const onFargate = ce.resourceType === 'FARGATE' || ce.resourceType === 'FARGATE_SPOT';
    const profileKind = ce.orchestration === 'EKS' ? 'eks-node-role' : 'instance-role';
    const profileForeign = ce.instanceRole ? foreignness(ce.instanceRole, scope) : undefined;
    if (ce.instanceRole && !onFargate && profileForeign) {
      plan.foreign.push({
        kind: profileKind,
        dependent,
        referencedAs: ce.instanceRole,
        differs: profileForeign,
        entity: 'instance-profile',
      });
    } else if (ce.instanceRole && !onFargate) {
      const name = entityName(ce.instanceRole);
      const key = name.toLowerCase();
      const entry = plan.instanceProfiles.get(key) ?? { name, computeEnvironments: [] };
      if (ce.instanceRole.startsWith('arn:') && !entry.arn) entry.arn = ce.instanceRole;
      entry.computeEnvironments.push({ arn: ce.arn, kind: profileKind });
      plan.instanceProfiles.set(key, entry);
    }
    if (ce.spotIamFleetRole && !onFargate)
      addRole(plan, scope, ce.spotIamFleetRole, { kind: 'spot-fleet-role', dependent });
  }
  for (const queue of inventory.jobQueues ?? []) {
    for (const ce of queue.computeEnvironmentArns) {
      plan.queuesByComputeEnvironment.set(ce, [...(plan.queuesByComputeEnvironment.get(ce) ?? []), queue.arn]);
    }
  }
  for (const definition of [...audited, ...superseded]) {
    const dependent: Dependent = { type: 'job-definition', arn: definition.arn };
    for (const role of new Set(definition.jobRoles)) addRole(plan, scope, role, { kind: 'job-role', dependent });
    for (const role of new Set(definition.executionRoles))
      addRole(plan, scope, role, { kind: 'execution-role', dependent });
  }
  for (const target of targets) {
    if (target.roleArn) {
      addRole(plan, scope, target.roleArn, {
        kind: 'eventbridge-role',
        dependent: { type: 'event-rule', arn: target.ruleArn },
      });
    }
  }
  return plan;
};

/** Adds the roles found inside instance profiles to the plan, as the instance or EKS node role each compute environment needs. */
export const addProfileRoles = (
  plan: ReferencePlan,
  profiles: ReadonlyMap<string, Read<InstanceProfileState>>,
): ReferencePlan => {
  for (const [key, entry] of plan.instanceProfiles) {
    const read = profiles.get(key);
    if (read?.status !== 'found') continue;
    for (const roleName of read.value.roleNames) {
      for (const ce of entry.computeEnvironments) {
        const use = { kind: ce.kind, dependent: { type: 'compute-environment' as const, arn: ce.arn } };
        const existing = plan.roles.get(roleName.toLowerCase()) ?? { name: roleName, uses: [] };
        existing.uses.push({ ...use, referencedAs: `instance profile ${entry.name}` });
        plan.roles.set(roleName.toLowerCase(), existing);
      }
    }
  }
  return plan;
};

/**
 * True when a use names the role that was read: an ARN must match its path as well as its name
 * (Batch passes the ARN as given, so `role/x` is not `role/team/x`). Names and profiles always match.
 */
export const resolvesTo = (use: RoleUse, roleArn: string): boolean => {
  if (!use.referencedAs.startsWith('arn:')) return true;
  const given = use.referencedAs.split(':').slice(5).join(':');
  const actual = roleArn.split(':').slice(5).join(':');
  const path = (resource: string) => resource.slice(0, resource.lastIndexOf('/') + 1);
  return path(given) === path(actual) && lastSegment(given).toLowerCase() === lastSegment(actual).toLowerCase();
};
