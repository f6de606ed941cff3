import type { Baseline } from '../domain/baseline.js';
import type { AuditError, ComputeEnvironment, IamSnapshot } from '../domain/model.js';
import { addProfileRoles, planReferences, type ReferencePlan } from '../domain/references.js';
import { countBySeverity, nothingAudited, type Report, snapshotErrors } from '../domain/report.js';
import { evaluateRules } from '../domain/rules/index.js';
import { applyWaivers } from '../domain/waivers.js';
import { awsErrorCode, cleanMessage } from '../error-codes.js';
import { ConfigError } from '../errors.js';
import type { AuditPorts, CallerIdentity } from '../ports.js';
import { TOOL } from '../version.js';

/** What to audit and how to report progress. */
export interface AuditOptions {
  /** The regions to audit, or `all`: every region enabled in the account (needs `ports.regions`). */
  readonly regions: readonly string[] | 'all';
  readonly baseline: Baseline;
  /** Audit only these compute environments (names or ARNs); one that is not found is a report error. */
  readonly computeEnvironments?: readonly string[];
  readonly signal?: AbortSignal;
  /** Called with one-line progress messages (the CLI prints them on stderr). */
  readonly onProgress?: (message: string) => void;
  readonly now?: () => Date;
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const describeError = (error: unknown): { code: string; message: string } => {
  const e = error as { message?: string; cause?: unknown };
  // Adapters wrap SDK failures; the report names the innermost AWS or network error.
  const inner = (e.cause ?? error) as { message?: string };
  return { code: awsErrorCode(inner), message: cleanMessage(inner.message ?? String(error)) };
};

const selectComputeEnvironments = (
  all: ComputeEnvironment[],
  wanted: readonly string[] | undefined,
  errors: AuditError[],
): ComputeEnvironment[] => {
  if (wanted === undefined) return all;
  const selected = all.filter((ce) => wanted.includes(ce.name) || wanted.includes(ce.arn));
  for (const name of wanted) {
    if (!all.some((ce) => ce.name === name || ce.arn === name)) {
      errors.push({
        operation: 'batch:DescribeComputeEnvironments',
        resource: { type: 'compute-environment', name },
        code: 'NotFound',
        message: 'no compute environment of that name or ARN in the audited regions',
      });
    }
  }
  return selected;
};

/** Two reads of one run put together (the second never holds what the first does). */
const mergeSnapshots = (first: IamSnapshot, second: IamSnapshot): IamSnapshot => ({
  roles: new Map([...first.roles, ...second.roles]),
  instanceProfiles: new Map([...first.instanceProfiles, ...second.instanceProfiles]),
  managedPolicies: new Map([...first.managedPolicies, ...second.managedPolicies]),
});

/** The regions asked for, with `all` resolved to the account's enabled regions; failing that, the run cannot start. */
const resolveRegions = async (ports: AuditPorts, options: Omit<AuditOptions, 'now'>): Promise<readonly string[]> => {
  if (options.regions !== 'all') return options.regions;
  if (!ports.regions) throw new ConfigError("--regions all needs a way to list the account's enabled regions.");
  try {
    return await ports.regions.enabledRegions(options.signal);
  } catch (error) {
    const { code, message } = describeError(error);
    throw new ConfigError(`Could not list the account's enabled regions (ec2:DescribeRegions, ${code}): ${message}`, {
      cause: error,
    });
  }
};

/** Everything read for one run, before any rule is applied. */
export interface CollectedState {
  readonly identity: CallerIdentity;
  /** The regions audited (`all` resolved to the account's enabled regions). */
  readonly regions: readonly string[];
  readonly computeEnvironments: ComputeEnvironment[];
  readonly plan: ReferencePlan;
  readonly snapshot: IamSnapshot;
  readonly errors: AuditError[];
}

/**
 * Lists compute environments, job queues, ACTIVE job definitions and the EventBridge targets of those
 * queues in every region, then reads each distinct role, instance profile and managed policy once. A
 * listing or entity that cannot be read becomes an entry in `errors`; the rest goes on. Fails only
 * when the caller's identity cannot be established or the baseline is for another account.
 */
export const collectState = async (ports: AuditPorts, options: Omit<AuditOptions, 'now'>): Promise<CollectedState> => {
  const progress = options.onProgress ?? (() => undefined);
  const identity = await ports.identity.whoAmI(options.signal);
  if (options.baseline.account && options.baseline.account !== identity.account) {
    throw new ConfigError(
      `The baseline ${options.baseline.source.name} is for account ${options.baseline.account}, but the credentials are for account ${identity.account}.`,
    );
  }
  const regions = await resolveRegions(ports, options);
  progress(`Auditing account ${identity.account} in ${regions.join(', ')}`);

  const errors: AuditError[] = [];
  /** Runs one regional listing; a failure is recorded and the rest of the audit goes on. */
  const listing = async <T>(operation: string, region: string, list: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await list();
    } catch (error) {
      errors.push({ operation, resource: { type: 'region', name: region }, ...describeError(error) });
      progress(`${region}: ${operation} failed`);
      return [];
    }
  };
  const perRegion = await Promise.all(
    regions.map(async (region) => {
      const [computeEnvironments, jobQueues, jobDefinitions] = await Promise.all([
        listing('batch:DescribeComputeEnvironments', region, () =>
          ports.batch.listComputeEnvironments(region, options.signal),
        ),
        listing('batch:DescribeJobQueues', region, () => ports.batch.listJobQueues(region, options.signal)),
        listing('batch:DescribeJobDefinitions', region, () => ports.batch.listJobDefinitions(region, options.signal)),
      ]);
      progress(
        `${region}: ${count(computeEnvironments.length, 'compute environment')}, ${count(jobQueues.length, 'job queue')}, ${count(jobDefinitions.length, 'job definition')}`,
      );
      return { region, computeEnvironments, jobQueues, jobDefinitions };
    }),
  );
  const computeEnvironments = selectComputeEnvironments(
    perRegion.flatMap((r) => r.computeEnvironments),
    options.computeEnvironments,
    errors,
  );
  // On demand, an audit of named compute environments leaves job definitions and EventBridge rules out.
  const wholeAccount = options.computeEnvironments === undefined;
  // The EventBridge lookups run while IAM is read: only the roles of the targets they find wait for them.
  const eventTargets = wholeAccount
    ? Promise.all(
        perRegion.map(async ({ region, jobQueues }) => {
          const found = await listing('events:ListRuleNamesByTarget', region, () =>
            ports.events.targetsFor(
              region,
              jobQueues.map((q) => q.arn),
              options.signal,
            ),
          );
          progress(`${region}: ${count(found.length, 'EventBridge target')}`);
          return found;
        }),
      ).then((lists) => lists.flat())
    : Promise.resolve([]);
  const inventory = {
    computeEnvironments,
    jobQueues: perRegion.flatMap((r) => r.jobQueues),
    jobDefinitions: wholeAccount ? perRegion.flatMap((r) => r.jobDefinitions) : [],
  };
  const scope = {
    serviceLinkedRoleName: options.baseline.serviceLinkedRole.name,
    account: identity.account,
    partition: identity.partition,
  };
  const firstPlan = planReferences({ ...inventory, eventTargets: [] }, scope);
  const accountRoles = computeEnvironments.some((ce) => ce.resourceType === 'SPOT')
    ? options.baseline.spotServiceLinkedRoles.map((r) => r.name)
    : [];
  progress(
    `Reading ${count(firstPlan.roles.size, 'referenced role')} and ${count(firstPlan.instanceProfiles.size, 'instance profile')} from IAM`,
  );
  const [targets, first] = await Promise.all([
    eventTargets,
    ports.iam.read(
      {
        roleNames: [...[...firstPlan.roles.values()].map((r) => r.name), ...accountRoles],
        instanceProfileNames: [...firstPlan.instanceProfiles.values()].map((p) => p.name),
      },
      options.signal,
    ),
  ]);
  const plan = planReferences({ ...inventory, eventTargets: targets }, scope);
  // Roles only EventBridge targets use: read now, without reading again anything read above.
  const later = [...plan.roles].filter(([key]) => !first.roles.has(key)).map(([, entry]) => entry.name);
  const snapshot: IamSnapshot =
    later.length === 0
      ? first
      : mergeSnapshots(
          first,
          await ports.iam.read({ roleNames: later, instanceProfileNames: [], known: first }, options.signal),
        );
  addProfileRoles(plan, snapshot.instanceProfiles);
  errors.push(...snapshotErrors(snapshot));
  return { identity, regions, computeEnvironments, plan, snapshot, errors };
};

/**
 * Runs one audit: collects the live state, applies the rules and the baseline's waivers, and returns
 * the report. Whatever could not be read is in `errors` and makes the report incomplete.
 */
export const runAudit = async (ports: AuditPorts, options: AuditOptions): Promise<Report> => {
  const now = options.now ?? (() => new Date());
  const progress = options.onProgress ?? (() => undefined);
  const startedAt = now().toISOString();
  const { identity, regions, computeEnvironments, plan, snapshot, errors } = await collectState(ports, options);
  const evaluated = evaluateRules({
    account: identity.account,
    partition: identity.partition,
    baseline: options.baseline,
    computeEnvironments,
    plan,
    snapshot,
  });
  const finishedAt = now();
  const { findings, waived, expiringSoon } = applyWaivers(evaluated, options.baseline.waivers, finishedAt);
  const roles = [...snapshot.roles.values()].filter((read) => read.status === 'found').length;
  progress(
    `${findings.length} finding${findings.length === 1 ? '' : 's'}${errors.length ? `, ${errors.length} read errors` : ''}`,
  );
  return {
    schemaVersion: 1,
    tool: TOOL,
    account: identity.account,
    regions: [...regions],
    startedAt,
    finishedAt: finishedAt.toISOString(),
    complete: errors.length === 0,
    summary: {
      computeEnvironments: computeEnvironments.length,
      roles,
      findings: findings.length,
      bySeverity: countBySeverity(findings),
      waived: waived.length,
    },
    baseline: {
      source: options.baseline.source.name,
      ...(options.baseline.source.sha256 ? { sha256: options.baseline.source.sha256 } : {}),
    },
    findings,
    waived,
    waiversExpiringSoon: expiringSoon,
    errors,
    // Listing errors already say why nothing was found; an empty account in readable regions must say so.
    ...(computeEnvironments.length === 0 && errors.length === 0 && !options.computeEnvironments
      ? { warnings: [nothingAudited(regions)] }
      : {}),
  };
};
