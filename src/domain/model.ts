import type { PolicyDocument } from './policy.js';

/** Severity scale, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** How bad a finding is: see docs/rules.md for the scale. */
export type Severity = (typeof SEVERITIES)[number];

/** Ranks a severity: 0 is critical, 4 is info. */
export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

/** True when `severity` is at least as severe as `threshold`. */
export const atOrAbove = (severity: Severity, threshold: Severity): boolean =>
  severityRank(severity) <= severityRank(threshold);

/**
 * What a role is for, decided by how a compute environment references it (never by its name).
 * `service-linked-role` and `service-role` are both referenced as `serviceRole`; the role's path tells them apart.
 */
export type RoleKind =
  | 'service-linked-role'
  | 'service-role'
  | 'instance-role'
  | 'eks-node-role'
  | 'spot-fleet-role'
  | 'execution-role'
  | 'job-role'
  | 'eventbridge-role';

/** The fields of a Batch compute environment that the audit needs; adapters map SDK shapes onto it. */
export interface ComputeEnvironment {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly type: 'MANAGED' | 'UNMANAGED' | string;
  readonly status?: string | undefined;
  readonly statusReason?: string | undefined;
  readonly orchestration: 'ECS' | 'EKS';
  /** Role name, path-qualified name or ARN, as Batch returns it. Absent means the service-linked role. */
  readonly serviceRole?: string | undefined;
  readonly resourceType?: 'EC2' | 'SPOT' | 'FARGATE' | 'FARGATE_SPOT' | string | undefined;
  /** Instance profile name or ARN. */
  readonly instanceRole?: string | undefined;
  readonly spotIamFleetRole?: string | undefined;
  readonly allocationStrategy?: string | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
}

/** A Batch job queue and the compute environments it sends jobs to. */
export interface JobQueue {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly computeEnvironmentArns: readonly string[];
}

/** The IAM roles one ACTIVE job definition names, wherever in the definition they are. */
export interface JobDefinition {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly platformCapabilities: readonly string[];
  /** Role ARNs from containerProperties, ecsProperties.taskProperties[] and nodeProperties.nodeRangeProperties[]. */
  readonly jobRoles: readonly string[];
  readonly executionRoles: readonly string[];
  /** Where the definition has a container or task without an execution role (for Fargate checks). */
  readonly containersWithoutExecutionRole: number;
  /** What each container or task asks of its execution role: the image to pull, where logs go, secrets. */
  readonly containers?: readonly JobContainer[];
}

/** The parts of one container (or ECS task) of a job definition that its execution role serves. */
export interface JobContainer {
  readonly executionRole?: string | undefined;
  readonly image?: string | undefined;
  /** `awslogs` when unset: Batch's default log driver. */
  readonly logDriver?: string | undefined;
  /** The awslogs group; Batch's default is `/aws/batch/job`. */
  readonly logGroup?: string | undefined;
  readonly logRegion?: string | undefined;
  /** Private registry credentials: the secret the execution role reads to pull the image instead of ECR. */
  readonly registryCredentials?: string | undefined;
  /** `valueFrom` of each secret and of each `secretOptions` of the log configuration. */
  readonly secrets?: readonly string[] | undefined;
}

/** An EventBridge rule target that submits jobs to a Batch job queue. */
export interface EventTarget {
  readonly ruleArn: string;
  readonly ruleName: string;
  readonly region: string;
  readonly jobQueueArn: string;
  readonly roleArn?: string | undefined;
  /** The job definition as the target gives it: name, `name:revision` or ARN. */
  readonly jobDefinition?: string | undefined;
  /** The ARN with revision that SubmitJob requests from this target carry; set when planning, undefined when unresolved. */
  readonly jobDefinitionArn?: string | undefined;
}

/** An attached managed policy as IAM lists it. */
export interface AttachedPolicy {
  readonly arn: string;
  readonly name: string;
}

/** An inline policy with its decoded document. */
export interface InlinePolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

/** The live IAM state of one role. */
export interface RoleState {
  readonly name: string;
  readonly arn: string;
  readonly path: string;
  readonly roleId: string;
  readonly trustPolicy: PolicyDocument;
  readonly attachedPolicies: readonly AttachedPolicy[];
  readonly inlinePolicies: readonly InlinePolicy[];
  readonly permissionsBoundaryArn?: string | undefined;
  /**
   * Parts of the role that could not be read (a policy listing, an inline document). What was read is
   * kept, so the role's findings are a lower bound; rules that judge an absence skip what is unread.
   */
  readonly unread?: readonly AuditError[];
}

/** The live state of one instance profile. */
export interface InstanceProfileState {
  readonly name: string;
  readonly arn: string;
  readonly path: string;
  /** Role names in the profile (IAM allows at most one). */
  readonly roleNames: readonly string[];
}

/** A managed policy's default version: with its document for customer-managed policies; AWS managed ones are judged by ARN. */
export interface ManagedPolicyState {
  readonly arn: string;
  readonly name: string;
  readonly defaultVersionId: string;
  readonly document?: PolicyDocument;
}

/** Something the audit could not read; it makes the report incomplete. */
export interface AuditError {
  /** The API operation that failed, e.g. `iam:GetRole`. */
  readonly operation: string;
  readonly resource: {
    readonly type:
      | 'role'
      | 'instance-profile'
      | 'policy'
      | 'region'
      | 'account'
      | 'compute-environment'
      | 'job-queue'
      | 'job-definition'
      | 'event-rule'
      | 'baseline'
      | 'state'
      | 'report-store'
      | 'security-hub';
    readonly name: string;
  };
  /** The AWS error code or name, e.g. `AccessDenied`, `Throttling`, `TimeoutError`. */
  readonly code: string;
  readonly message: string;
}

/** The result of reading one entity: found, proven absent, or unreadable. */
export type Read<T> =
  | { readonly status: 'found'; readonly value: T }
  | { readonly status: 'missing' }
  | { readonly status: 'error'; readonly error: AuditError };

/** Everything read from IAM in one run, keyed by lower-cased role/profile name and by policy ARN. */
export interface IamSnapshot {
  readonly roles: ReadonlyMap<string, Read<RoleState>>;
  readonly instanceProfiles: ReadonlyMap<string, Read<InstanceProfileState>>;
  /** Managed policies attached to the roles read: customer-managed with their default-version documents, AWS managed with their default version id. */
  readonly managedPolicies: ReadonlyMap<string, Read<ManagedPolicyState>>;
}
