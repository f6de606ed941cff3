import type { FindingState, StateWrite } from './domain/lifecycle.js';
import type { ComputeEnvironment, EventTarget, IamSnapshot, JobDefinition, JobQueue } from './domain/model.js';

/** Who the credentials belong to. */
export interface CallerIdentity {
  readonly account: string;
  /** `aws`, `aws-cn`, `aws-us-gov`, ... taken from the caller's ARN. */
  readonly partition: string;
  readonly arn: string;
}

/** Answers who the audit runs as; fails with a ConfigError when credentials or the endpoint are unusable. */
export interface AccountIdentity {
  whoAmI(signal?: AbortSignal): Promise<CallerIdentity>;
}

/** Lists Batch resources in one region, every page. */
export interface BatchInventory {
  listComputeEnvironments(region: string, signal?: AbortSignal): Promise<ComputeEnvironment[]>;
  listJobQueues(region: string, signal?: AbortSignal): Promise<JobQueue[]>;
  /** ACTIVE job definitions only. */
  listJobDefinitions(region: string, signal?: AbortSignal): Promise<JobDefinition[]>;
}

/** Finds the EventBridge rule targets that submit jobs to given job queues in one region. */
export interface EventTargetFinder {
  targetsFor(region: string, jobQueueArns: readonly string[], signal?: AbortSignal): Promise<EventTarget[]>;
}

/** The roles and instance profiles an audit asks IAM about. */
export interface IamReadRequest {
  readonly roleNames: readonly string[];
  readonly instanceProfileNames: readonly string[];
  /**
   * What this run already read (a follow-up read, for roles found later): nothing in it is read
   * again, and the answer holds only what was read now. A follow-up read is always entity by entity.
   */
  readonly known?: IamSnapshot;
}

/**
 * Reads live IAM state. An implementation reads each distinct role, profile and policy at most once,
 * also reads the roles inside the requested profiles, and never throws for one entity: what it
 * cannot read is a `Read` with status `error`.
 */
export interface IamStateReader {
  read(request: IamReadRequest, signal?: AbortSignal): Promise<IamSnapshot>;
}

/** Everything `runAudit` talks to. */
export interface AuditPorts {
  readonly identity: AccountIdentity;
  readonly batch: BatchInventory;
  readonly events: EventTargetFinder;
  readonly iam: IamStateReader;
  /** Lists the account's enabled regions, for `--regions all`. */
  readonly regions?: RegionDirectory;
}

/** A member account of the organisation. */
export interface MemberAccount {
  readonly id: string;
  readonly name: string;
}

/** Lists the organisation's ACTIVE accounts (all of them, or those under an OU and its children). */
export interface OrganizationDirectory {
  activeAccounts(ou: string | undefined, signal?: AbortSignal): Promise<MemberAccount[]>;
}

/** Lists the regions enabled in the account of the credentials (default and opted-in ones). */
export interface RegionDirectory {
  enabledRegions(signal?: AbortSignal): Promise<string[]>;
}

/**
 * Where an adapter gets its credentials: a profile's, or a role assumed with STS. Opaque to the core;
 * the SDK's credential providers have this shape.
 */
export type CredentialProvider = () => Promise<{
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}>;

/** Where an organisation run keeps its reports (an S3 bucket when deployed). */
export interface ReportStore {
  /** How people find an object: `s3://bucket/key`. */
  location(key: string): string;
  /** Stores one object; `contentType` defaults to JSON. */
  put(key: string, text: string, signal?: AbortSignal, contentType?: string): Promise<void>;
  get(key: string, signal?: AbortSignal): Promise<string>;
}

/** What one write of the lifecycle state did. */
export interface StateWriteOutcome {
  readonly written: number;
  /** Writes not made because another run changed an item since it was read: re-read and try again. */
  readonly conflicts: readonly StateWrite[];
  /** Writes that failed for another reason (access denied, throttled past the retries, ...). */
  readonly failures: readonly { readonly write: StateWrite; readonly code: string; readonly message: string }[];
}

/** Keeps each finding's lifecycle across runs (a DynamoDB table when deployed). */
export interface FindingStateStore {
  /** How reports and errors name the store, e.g. `dynamodb:TABLE`. */
  readonly location: string;
  /** Calls made so far, for the benchmark and the docs' cost figures. */
  readonly calls: { query: number; transactWrite: number };
  /** Every item of one account, every page. */
  load(account: string, signal?: AbortSignal): Promise<FindingState[]>;
  /** Writes items, each only if it still has the version it was read with; never throws for one item. */
  write(writes: readonly StateWrite[], signal?: AbortSignal): Promise<StateWriteOutcome>;
}

/** A Security Hub finding in the AWS Security Finding Format, as {@link FindingsHub} imports it. */
export type AsffFinding = Readonly<Record<string, unknown>> & { readonly Id: string };

/** Sends findings to AWS Security Hub. */
export interface FindingsHub {
  /** Imports findings in batches of 100; a finding Security Hub refuses is in `failed`, never thrown. */
  import(
    findings: readonly AsffFinding[],
    signal?: AbortSignal,
  ): Promise<{
    readonly imported: number;
    readonly failed: readonly { readonly id: string; readonly code: string; readonly message: string }[];
  }>;
}
