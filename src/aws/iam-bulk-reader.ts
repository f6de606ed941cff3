import {
  GetAccountSummaryCommand,
  type IAMClient,
  type ManagedPolicyDetail,
  paginateGetAccountAuthorizationDetails,
  type RoleDetail,
} from '@aws-sdk/client-iam';
import type { IamSnapshot, InstanceProfileState, ManagedPolicyState, Read, RoleState } from '../domain/model.js';
import { decodePolicyDocument } from '../domain/policy.js';
import type { IamReadRequest, IamStateReader } from '../ports.js';
import { abortable, untilAborted } from './abort.js';
import { awsErrorCode, EmptyResponse } from './errors.js';
import { createIamReads, createPerRoleIamReader, readEntities } from './iam-reader.js';

/** IAM actions the bulk reader calls besides the per-entity reads it falls back on. */
export const BULK_READER_PERMISSIONS = ['iam:GetAccountAuthorizationDetails', 'iam:GetAccountSummary'] as const;

/** Items asked for per GetAccountAuthorizationDetails page (IAM's maximum). */
const PAGE_ITEMS = 1000;

/**
 * Items per page the cost model assumes: IAM cuts GetAccountAuthorizationDetails pages by response
 * size as well as by MaxItems, so a page of full role details holds far fewer than 1000 in practice.
 */
export const MODEL_ITEMS_PER_PAGE = 100;

/** Options of the bulk and adaptive readers. */
export interface BulkReaderOptions {
  /** IAM calls in flight at once for the per-entity reads. */
  readonly concurrency?: number;
  /** Told which strategy a read used and why, or that the bulk answer broke off (for progress lines). */
  readonly onNote?: (note: string) => void;
}

const byDefaultVersion = (policy: ManagedPolicyDetail): ManagedPolicyState | undefined => {
  const version = policy.PolicyVersionList?.find((v) => v.IsDefaultVersion);
  if (!policy.Arn || !policy.DefaultVersionId || !version?.Document) return undefined;
  return {
    arn: policy.Arn,
    // moto leaves PolicyName out of these entries; the ARN ends with it.
    name: policy.PolicyName ?? policy.Arn.slice(policy.Arn.lastIndexOf('/') + 1),
    defaultVersionId: policy.DefaultVersionId,
    document: decodePolicyDocument(version.Document),
  };
};

/** A role as the per-role reader would have read it, from its GetAccountAuthorizationDetails entry. */
const toRoleState = (detail: RoleDetail, name: string): RoleState => ({
  name: detail.RoleName ?? name,
  arn: detail.Arn ?? '',
  path: detail.Path ?? '/',
  roleId: detail.RoleId ?? '',
  trustPolicy: decodePolicyDocument(detail.AssumeRolePolicyDocument ?? ''),
  attachedPolicies: (detail.AttachedManagedPolicies ?? [])
    .flatMap((p) => (p.PolicyArn ? [{ arn: p.PolicyArn, name: p.PolicyName ?? p.PolicyArn }] : []))
    .sort((a, b) => a.arn.localeCompare(b.arn)),
  inlinePolicies: (detail.RolePolicyList ?? [])
    .flatMap((p) =>
      p.PolicyName ? [{ name: p.PolicyName, document: decodePolicyDocument(p.PolicyDocument ?? '') }] : [],
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  permissionsBoundaryArn: detail.PermissionsBoundary?.PermissionsBoundaryArn,
});

/**
 * Reads the account's roles and customer-managed policies in pages of GetAccountAuthorizationDetails
 * (trust, inline documents, attachments, boundaries and default-version documents come with them),
 * keeping only the roles asked for and those inside the instance profiles asked for. What the bulk
 * answer does not hold is read entity by entity, as the per-role reader reads it: AWS managed
 * policies, instance profiles no role is in (empty or missing), and every role or policy the answer
 * did not show (absent, or lost with a page that failed). So a role is `missing` only when GetRole
 * says so twice, and a failed page never hides a role.
 */
export const createBulkIamReader = (iam: IAMClient, options: BulkReaderOptions = {}): IamStateReader => ({
  async read(request: IamReadRequest, signal?: AbortSignal): Promise<IamSnapshot> {
    const reads = createIamReads(iam, options.concurrency ?? 4, signal);
    // A follow-up read (a few roles found later in the run) never reads the whole account again.
    if (request.known) return readEntities(reads, request, options.onNote);
    const wantedRoles = new Map(request.roleNames.map((n) => [n.toLowerCase(), n]));
    const wantedProfiles = new Map(request.instanceProfileNames.map((n) => [n.toLowerCase(), n]));
    const roleDetails = new Map<string, RoleDetail>();
    const profiles = new Map<string, InstanceProfileState>();
    const localPolicies = new Map<string, ManagedPolicyState>();
    try {
      const pages = paginateGetAccountAuthorizationDetails(
        { client: iam, pageSize: PAGE_ITEMS },
        { Filter: ['Role', 'LocalManagedPolicy'] },
        ...abortable(signal),
      );
      await untilAborted(
        (async () => {
          for await (const page of pages) {
            signal?.throwIfAborted();
            if (!page.RoleDetailList && !page.Policies) {
              throw new EmptyResponse('iam:GetAccountAuthorizationDetails');
            }
            for (const detail of page.RoleDetailList ?? []) {
              const key = detail.RoleName?.toLowerCase();
              if (!key) continue;
              let wanted = wantedRoles.has(key);
              for (const profile of detail.InstanceProfileList ?? []) {
                const profileKey = profile.InstanceProfileName?.toLowerCase();
                if (!profileKey || !wantedProfiles.has(profileKey)) continue;
                wanted = true;
                const held = profiles.get(profileKey);
                profiles.set(profileKey, {
                  name: profile.InstanceProfileName ?? profileKey,
                  arn: profile.Arn ?? '',
                  path: profile.Path ?? '/',
                  roleNames: [...(held?.roleNames ?? []), detail.RoleName ?? key],
                });
              }
              if (wanted) roleDetails.set(key, detail);
            }
            for (const policy of page.Policies ?? []) {
              const state = byDefaultVersion(policy);
              if (state) localPolicies.set(state.arn, state);
            }
          }
        })(),
        signal,
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      // What the broken pages held is read entity by entity below; nothing is judged from a partial list.
      options.onNote?.(
        `iam:GetAccountAuthorizationDetails failed (${awsErrorCode(error)}): reading the rest role by role`,
      );
    }

    // Instance profiles no role was seen in: empty, missing, or on a page that failed.
    const profileReads = new Map<string, Read<InstanceProfileState>>();
    await Promise.all(
      [...wantedProfiles].map(async ([key, name]) => {
        const seen = profiles.get(key);
        profileReads.set(key, seen ? { status: 'found', value: seen } : await reads.readProfile(name));
      }),
    );
    const allRoles = new Map(wantedRoles);
    for (const read of profileReads.values()) {
      if (read.status !== 'found') continue;
      for (const name of read.value.roleNames)
        if (!allRoles.has(name.toLowerCase())) allRoles.set(name.toLowerCase(), name);
    }
    const roles = new Map<string, Read<RoleState>>();
    await Promise.all(
      [...allRoles].map(async ([key, name]) => {
        const detail = roleDetails.get(key);
        roles.set(key, detail ? { status: 'found', value: toRoleState(detail, name) } : await reads.readRole(name));
      }),
    );
    const policyArns = new Set<string>();
    for (const read of roles.values()) {
      if (read.status !== 'found') continue;
      for (const policy of read.value.attachedPolicies) policyArns.add(policy.arn);
      if (read.value.permissionsBoundaryArn) policyArns.add(read.value.permissionsBoundaryArn);
    }
    const managedPolicies = new Map<string, Read<ManagedPolicyState>>();
    await Promise.all(
      [...policyArns].map(async (arn) => {
        const local = localPolicies.get(arn);
        managedPolicies.set(arn, local ? { status: 'found', value: local } : await reads.readPolicy(arn));
      }),
    );
    const sorted = <T>(map: Map<string, T>, keys: Iterable<string>) =>
      new Map([...keys].flatMap((k) => (map.has(k) ? [[k, map.get(k) as T] as const] : [])));
    return {
      roles: sorted(roles, allRoles.keys()),
      instanceProfiles: sorted(profileReads, wantedProfiles.keys()),
      managedPolicies: sorted(managedPolicies, policyArns),
    };
  },
});

/** What the cost model weighs: the request, and the account's size from GetAccountSummary. */
export interface ReadEstimate {
  readonly requestedRoles: number;
  readonly requestedProfiles: number;
  readonly accountRoles: number;
  readonly accountPolicies: number;
}

/**
 * IAM calls each strategy needs, as docs/performance.md models them. Both read the AWS managed
 * policies entity by entity, so those cancel out. Per-role: a profile read per profile, and per role
 * GetRole, two listings and (typically) one inline document. Bulk: one summary, then pages over every
 * role and customer-managed policy of the account.
 */
export const estimateCalls = (estimate: ReadEstimate): { perRole: number; bulk: number } => ({
  perRole: estimate.requestedProfiles + 4 * estimate.requestedRoles,
  bulk: 1 + Math.max(1, Math.ceil((estimate.accountRoles + estimate.accountPolicies) / MODEL_ITEMS_PER_PAGE)),
});

/**
 * Chooses per read: asks GetAccountSummary for the account's role and policy counts, and uses the
 * bulk reader when the model says it needs fewer IAM calls than the per-role one (large audits in
 * accounts that are not much larger). Without the summary (denied, say) it reads role by role.
 */
export const createAdaptiveIamReader = (iam: IAMClient, options: BulkReaderOptions = {}): IamStateReader => {
  const perRole = createPerRoleIamReader(iam, {
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    onNote: options.onNote,
  });
  const bulk = createBulkIamReader(iam, options);
  return {
    async read(request, signal) {
      if (request.known) return perRole.read(request, signal);
      let summary: Partial<Record<string, number>> | undefined;
      try {
        const out = await untilAborted(
          iam.send(new GetAccountSummaryCommand({}), signal ? { abortSignal: signal } : {}),
          signal,
        );
        summary = out.SummaryMap;
      } catch (error) {
        if (signal?.aborted) throw error;
        options.onNote?.(`iam:GetAccountSummary failed (${awsErrorCode(error)}): reading role by role`);
      }
      if (!summary) return perRole.read(request, signal);
      const calls = estimateCalls({
        requestedRoles: request.roleNames.length,
        requestedProfiles: request.instanceProfileNames.length,
        accountRoles: summary.Roles ?? 0,
        accountPolicies: summary.Policies ?? 0,
      });
      const useBulk = calls.bulk < calls.perRole;
      options.onNote?.(
        `IAM: ${useBulk ? 'bulk' : 'per-role'} reads (about ${Math.min(calls.bulk, calls.perRole)} calls against ${Math.max(calls.bulk, calls.perRole)}; the account has ${summary.Roles ?? 0} roles and ${summary.Policies ?? 0} customer-managed policies)`,
      );
      return (useBulk ? bulk : perRole).read(request, signal);
    },
  };
};

/** How IAM is read: chosen per run from the account's size, or forced. */
export type IamReadStrategy = 'auto' | 'bulk' | 'per-role';

/** The strategies, for option parsing. */
export const IAM_READ_STRATEGIES: readonly IamReadStrategy[] = ['auto', 'bulk', 'per-role'];

/** The reader for a strategy. */
export const createIamReader = (
  iam: IAMClient,
  strategy: IamReadStrategy,
  options: BulkReaderOptions = {},
): IamStateReader =>
  strategy === 'bulk'
    ? createBulkIamReader(iam, options)
    : strategy === 'per-role'
      ? createPerRoleIamReader(iam, {
          ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
          onNote: options.onNote,
        })
      : createAdaptiveIamReader(iam, options);
