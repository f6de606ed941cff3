import { lastSegment } from './baseline.js';
import type { ComputeEnvironment, InstanceProfileState, Read, RoleKind } from './model.js';

/** How a compute environment reaches a role. `service` is resolved to a role kind once the role's path is known. */
export type UseKind = 'service' | Exclude<RoleKind, 'service-linked-role' | 'service-role'>;

/** One compute environment's dependency on a role. */
export interface RoleUse {
  readonly kind: UseKind;
  readonly computeEnvironmentArn: string;
  /** The value the compute environment holds (name, path-qualified name or ARN), or the profile it came through. */
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
}

/** The name of the role or profile behind a value that may be a name, `path/name` or an ARN. */
export const entityName = (value: string): string =>
  lastSegment(value.startsWith('arn:') ? value.split(':').slice(5).join(':') : value);

const addRole = (plan: ReferencePlan, name: string, use: RoleUse, arn?: string): void => {
  const key = name.toLowerCase();
  const entry = plan.roles.get(key) ?? { name, uses: [] };
  if (arn && !entry.arn) entry.arn = arn;
  entry.uses.push(use);
  plan.roles.set(key, entry);
};

/**
 * Works out which roles and instance profiles the compute environments depend on.
 * A compute environment without `serviceRole` relies on the Batch service-linked role.
 */
export const planReferences = (computeEnvironments: readonly ComputeEnvironment[], slrName: string): ReferencePlan => {
  const plan: ReferencePlan = { roles: new Map(), instanceProfiles: new Map() };
  for (const ce of computeEnvironments) {
    const serviceRole = ce.serviceRole?.trim() || slrName;
    addRole(
      plan,
      entityName(serviceRole),
      { kind: 'service', computeEnvironmentArn: ce.arn, referencedAs: serviceRole },
      serviceRole.startsWith('arn:') ? serviceRole : undefined,
    );
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
    if (ce.spotIamFleetRole && !onFargate) {
      addRole(
        plan,
        entityName(ce.spotIamFleetRole),
        { kind: 'spot-fleet-role', computeEnvironmentArn: ce.arn, referencedAs: ce.spotIamFleetRole },
        ce.spotIamFleetRole.startsWith('arn:') ? ce.spotIamFleetRole : undefined,
      );
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
        addRole(plan, roleName, {
          kind: entry.kind,
          computeEnvironmentArn: ce,
          referencedAs: `instance profile ${entry.name}`,
        });
      }
    }
  }
  return plan;
};
