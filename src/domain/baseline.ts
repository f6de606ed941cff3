import defaults from '../../infra/aws-defaults.json' with { type: 'json' };
import type { RoleKind, Severity } from './model.js';

/** What the audit expects of one kind of role. */
export interface RoleKindBaseline {
  readonly description: string;
  /** The service principal that must be able to assume the role, and the only one trusted. */
  readonly trustedService: string;
  /** Each entry lists alternatives (managed policy `path/name` under `arn:<partition>:iam::aws:policy/`); one must be attached. */
  readonly requiredManagedPolicies: readonly (readonly string[])[];
  /** Managed policies that may be attached without a finding: AWS `path/name` or a full ARN. */
  readonly allowedManagedPolicies: readonly string[];
  /** Inline policy names that may exist without a finding. */
  readonly allowedInlinePolicies: readonly string[];
  /** Recommend `aws:SourceAccount`/`aws:SourceArn` on the trust policy (customer-managed service roles only). */
  readonly confusedDeputyCheck: boolean;
  readonly source: string;
}

/** The expected state the audit compares live IAM with. */
export interface Baseline {
  readonly roleKinds: Readonly<Record<RoleKind, RoleKindBaseline>>;
  readonly serviceLinkedRole: { readonly name: string; readonly path: string };
  /** Instance profile name → the role name it must contain. */
  readonly instanceProfileRoles: Readonly<Record<string, string>>;
  /** AWS managed policy names that grant dangerous access, with the severity of having them on a Batch role. */
  readonly dangerousManagedPolicies: Readonly<Record<string, Severity>>;
  /** AWS managed policy names that AWS has deprecated. */
  readonly deprecatedManagedPolicies: readonly string[];
}

/** AWS's documented defaults, from `infra/aws-defaults.json`. */
export const AWS_DEFAULT_BASELINE: Baseline = defaults as unknown as Baseline;

/** Returns a baseline with `overrides` laid over `base`, role kind by role kind. */
export const overlayBaseline = (
  base: Baseline,
  overrides: {
    readonly roleKinds?: Partial<Record<RoleKind, Partial<RoleKindBaseline>>>;
    readonly instanceProfileRoles?: Readonly<Record<string, string>>;
  },
): Baseline => {
  const roleKinds = { ...base.roleKinds };
  for (const [kind, override] of Object.entries(overrides.roleKinds ?? {}) as [RoleKind, Partial<RoleKindBaseline>][]) {
    roleKinds[kind] = { ...base.roleKinds[kind], ...override };
  }
  return {
    ...base,
    roleKinds,
    instanceProfileRoles: { ...base.instanceProfileRoles, ...overrides.instanceProfileRoles },
  };
};

const AWS_POLICY = /^arn:[a-z-]+:iam::aws:policy\/(.+)$/;

/** For an AWS managed policy ARN, its `path/name` under `policy/` (e.g. `service-role/AWSBatchServiceRole`). */
export const awsManagedPolicyKey = (arn: string): string | undefined => AWS_POLICY.exec(arn)?.[1];

/** The full ARN of an AWS managed policy in a partition. */
export const awsManagedPolicyArn = (partition: string, key: string): string =>
  `arn:${partition}:iam::aws:policy/${key}`;

/** The last segment of an ARN or path-qualified name. */
export const lastSegment = (value: string): string => value.slice(value.lastIndexOf('/') + 1);
