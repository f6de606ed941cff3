import defaults from '../../infra/aws-defaults.json' with { type: 'json' };
import type { RoleKind, Severity } from './model.js';
import type { PolicyDocument } from './policy.js';
import { wildcardMatch } from './wildcard.js';

/**
 * A managed policy as a baseline names it: an AWS managed policy's `path/name` under
 * `arn:<partition>:iam::aws:policy/` (e.g. `service-role/AWSBatchServiceRole`), or a full policy ARN.
 */
export type PolicyRef = string;

/** What the audit expects of one kind of role. */
export interface RoleKindBaseline {
  readonly description: string;
  /** The service principal that must be able to assume the role. */
  readonly trustedService: string;
  /** Other trust principals allowed, as `Type:value` (`AWS:123456789012`, `Service:ecs.amazonaws.com`). */
  readonly allowedPrincipals: readonly string[];
  /** Each entry lists alternatives; one of them must be attached. */
  readonly requiredManagedPolicies: readonly (readonly PolicyRef[])[];
  /** Managed policies that may be attached without a finding. */
  readonly allowedManagedPolicies: readonly PolicyRef[];
  /** Inline policies allowed by name; a document pins its content, `null` allows any. */
  readonly allowedInlinePolicies: Readonly<Record<string, PolicyDocument | null>>;
  /** Recommend `aws:SourceAccount`/`aws:SourceArn` on the trust policy (customer-managed service roles only). */
  readonly confusedDeputyCheck: boolean;
  /** The permissions boundary ARN the role must have; `null` for none; absent: not checked. */
  readonly permissionsBoundary?: string | null;
  /** A customer-managed or inline policy that allows only these actions is accepted without a finding. */
  readonly allowedActions?: readonly string[];
  /** Policies are the workload's business (job roles): only dangerous grants are reported. */
  readonly workloadPolicies?: boolean;
  /** A required AWS managed policy → the actions that, granted by the role's own policies, make an equivalent. */
  readonly requiredEquivalents?: Readonly<Record<string, readonly string[]>>;
  readonly source: string;
}

/** Which roles a baseline entry applies to: every given condition must hold (globs use `*` and `?`). */
export interface RoleMatch {
  readonly name?: string;
  readonly arn?: string;
  /** A compute environment that depends on the role carries this tag. */
  readonly computeEnvironmentTag?: { readonly key: string; readonly value: string };
}

/** A team's expectations for particular roles, laid over the role kind's. */
export interface RoleOverride {
  readonly match: RoleMatch;
  /** Apply only when the role is used as this kind. */
  readonly kind?: RoleKind;
  readonly trust?: {
    readonly principals?: readonly string[];
    /** The whole trust policy, pinned: any semantic change is drift. */
    readonly document?: PolicyDocument;
  };
  /** The exact set of managed policies: each must be attached, and nothing else. */
  readonly managedPolicies?: readonly PolicyRef[];
  /** Managed policies allowed in addition to the kind's. */
  readonly allowedManagedPolicies?: readonly PolicyRef[];
  /** Inline policies: a document pins its content, `null` allows any content. Replaces the kind's list. */
  readonly inlinePolicies?: Readonly<Record<string, PolicyDocument | null>>;
  /** Customer-managed policy ARN → pinned default-version document (and version id, when captured). */
  readonly customerManagedPolicies?: Readonly<Record<string, { document: PolicyDocument; versionId?: string }>>;
  readonly permissionsBoundary?: string | null;
  /** The role's unique id when captured: a different id means the role was deleted and recreated. */
  readonly roleId?: string;
  /** AWS managed policy `path/name` → the default version recorded at capture. */
  readonly awsManagedPolicyVersions?: Readonly<Record<string, string>>;
}

/** A decision to accept a finding for a while. */
export interface Waiver {
  /** A rule id, or `*` for every rule. */
  readonly rule: string;
  /** A glob over the finding's resource ARN or name. */
  readonly resource: string;
  readonly reason: string;
  readonly owner: string;
  /** Last day the waiver applies, `YYYY-MM-DD` (UTC). */
  readonly expires: string;
}

/** The expected state the audit compares live IAM with. */
export interface Baseline {
  readonly roleKinds: Readonly<Record<RoleKind, RoleKindBaseline>>;
  readonly serviceLinkedRole: { readonly name: string; readonly path: string };
  /** Instance profile name → the role name it must contain. */
  readonly instanceProfileRoles: Readonly<Record<string, string>>;
  /**
   * AWS managed policies (by name) that accounts commonly add to instance and EKS node roles: reported at
   * their severity with their real risk instead of by the risk classes.
   */
  readonly routineAddOns: Readonly<Record<string, { readonly severity: Severity; readonly risk: string }>>;
  /** AWS managed policy names that AWS has deprecated. */
  readonly deprecatedManagedPolicies: readonly string[];
  /** AWS managed policies (path/name) that let a role call batch:SubmitJob on any queue. */
  readonly submitJobManagedPolicies: readonly string[];
  /** The Spot service-linked roles that must exist while SPOT compute environments do. */
  readonly spotServiceLinkedRoles: readonly {
    readonly name: string;
    readonly path: string;
    readonly service: string;
  }[];
  /** The AWS managed policies that belong to ECS instances and to EKS nodes. */
  readonly orchestrationPolicies: { readonly ecs: readonly string[]; readonly eks: readonly string[] };
  readonly roles: readonly RoleOverride[];
  readonly waivers: readonly Waiver[];
  /** Where the team's part came from, for the report. */
  readonly source: { readonly name: string; readonly sha256?: string };
  /** The account the team's baseline is for; an audit of another account refuses to start. */
  readonly account?: string;
}

/** AWS's documented defaults, from `infra/aws-defaults.json`, with no team baseline. */
export const AWS_DEFAULT_BASELINE: Baseline = {
  ...(defaults as unknown as Omit<Baseline, 'roles' | 'waivers' | 'source'>),
  roles: [],
  waivers: [],
  source: { name: 'built-in AWS defaults' },
};

/** What a team's baseline file may state; every field is optional. */
export interface BaselineOverlay {
  readonly roleKinds?: Partial<Record<RoleKind, Partial<Omit<RoleKindBaseline, 'description' | 'source'>>>>;
  readonly instanceProfileRoles?: Readonly<Record<string, string>>;
  readonly roles?: readonly RoleOverride[];
  readonly waivers?: readonly Waiver[];
  readonly source?: { readonly name: string; readonly sha256?: string };
  readonly account?: string;
}

/** Lays a team's baseline over `base`: role kinds field by field, roles and waivers appended. */
export const overlayBaseline = (base: Baseline, overlay: BaselineOverlay): Baseline => {
  const roleKinds = { ...base.roleKinds };
  for (const [kind, override] of Object.entries(overlay.roleKinds ?? {}) as [RoleKind, Partial<RoleKindBaseline>][]) {
    roleKinds[kind] = { ...base.roleKinds[kind], ...override };
  }
  return {
    ...base,
    roleKinds,
    instanceProfileRoles: { ...base.instanceProfileRoles, ...overlay.instanceProfileRoles },
    roles: [...base.roles, ...(overlay.roles ?? [])],
    waivers: [...base.waivers, ...(overlay.waivers ?? [])],
    source: overlay.source ?? base.source,
    ...(overlay.account ? { account: overlay.account } : {}),
  };
};

/** Everything the rules expect of one role used as one kind, after the team's baseline is applied. */
export interface RoleExpectation extends Omit<RoleKindBaseline, 'description' | 'source'> {
  readonly trustDocument?: PolicyDocument;
  readonly pinnedPolicies: Readonly<Record<string, { document: PolicyDocument; versionId?: string }>>;
  readonly roleId?: string;
  readonly awsManagedPolicyVersions: Readonly<Record<string, string>>;
  /** True when a baseline entry named the role's managed policies exactly. */
  readonly exactManagedPolicies: boolean;
}

const matches = (
  match: RoleMatch,
  role: { name: string; arn: string },
  tags: readonly Readonly<Record<string, string>>[],
): boolean =>
  (match.name === undefined || wildcardMatch(match.name, role.name)) &&
  (match.arn === undefined || wildcardMatch(match.arn, role.arn)) &&
  (match.computeEnvironmentTag === undefined ||
    tags.some((t) => t[match.computeEnvironmentTag?.key ?? ''] === match.computeEnvironmentTag?.value));

/**
 * The expectation for a role used as `kind`: the kind's baseline, then every matching role entry in
 * file order (later entries win field by field). `tags` are the tags of the compute environments
 * that use the role this way.
 */
export const expectationFor = (
  baseline: Baseline,
  role: { name: string; arn: string },
  kind: RoleKind,
  tags: readonly Readonly<Record<string, string>>[] = [],
): RoleExpectation => {
  const { description: _d, source: _s, ...base } = baseline.roleKinds[kind];
  let expectation: RoleExpectation = {
    ...base,
    pinnedPolicies: {},
    awsManagedPolicyVersions: {},
    exactManagedPolicies: false,
  };
  for (const entry of baseline.roles) {
    if ((entry.kind !== undefined && entry.kind !== kind) || !matches(entry.match, role, tags)) continue;
    expectation = {
      ...expectation,
      ...(entry.trust?.principals ? { allowedPrincipals: entry.trust.principals } : {}),
      ...(entry.trust?.document ? { trustDocument: entry.trust.document } : {}),
      ...(entry.managedPolicies
        ? {
            requiredManagedPolicies: entry.managedPolicies.map((p) => [p]),
            allowedManagedPolicies: [],
            exactManagedPolicies: true,
          }
        : {}),
      // An entry's `managedPolicies` is the exact set: what it also allows adds to nothing inherited.
      ...(entry.allowedManagedPolicies
        ? {
            allowedManagedPolicies: [
              ...(entry.managedPolicies ? [] : expectation.allowedManagedPolicies),
              ...entry.allowedManagedPolicies,
            ],
          }
        : {}),
      ...(entry.inlinePolicies ? { allowedInlinePolicies: entry.inlinePolicies } : {}),
      ...(entry.customerManagedPolicies
        ? { pinnedPolicies: { ...expectation.pinnedPolicies, ...entry.customerManagedPolicies } }
        : {}),
      ...(entry.permissionsBoundary !== undefined ? { permissionsBoundary: entry.permissionsBoundary } : {}),
      ...(entry.roleId ? { roleId: entry.roleId } : {}),
      ...(entry.awsManagedPolicyVersions
        ? { awsManagedPolicyVersions: { ...expectation.awsManagedPolicyVersions, ...entry.awsManagedPolicyVersions } }
        : {}),
    };
  }
  return expectation;
};

const AWS_POLICY = /^arn:[a-z-]+:iam::aws:policy\/(.+)$/;

/** For an AWS managed policy ARN, its `path/name` under `policy/` (e.g. `service-role/AWSBatchServiceRole`). */
export const awsManagedPolicyKey = (arn: string): string | undefined => AWS_POLICY.exec(arn)?.[1];

/** The full ARN of an AWS managed policy in a partition. */
export const awsManagedPolicyArn = (partition: string, key: string): string =>
  `arn:${partition}:iam::aws:policy/${key}`;

/** The ARN a baseline policy reference stands for in a partition. */
export const policyRefArn = (partition: string, ref: PolicyRef): string =>
  ref.startsWith('arn:') ? ref : awsManagedPolicyArn(partition, ref);

/** True when the policy reference names the policy with this ARN. */
export const policyRefMatches = (ref: PolicyRef, arn: string): boolean =>
  ref.startsWith('arn:') ? ref === arn : awsManagedPolicyKey(arn) === ref;

/** The last segment of an ARN or path-qualified name. */
export const lastSegment = (value: string): string => value.slice(value.lastIndexOf('/') + 1);
