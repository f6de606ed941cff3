import { Document } from 'yaml';
import type { CollectedState } from '../app/run-audit.js';
import { awsManagedPolicyKey, type Baseline } from '../domain/baseline.js';
import type { Finding } from '../domain/finding.js';
import type { RoleKind } from '../domain/model.js';
import type { PolicyDocument, Statement } from '../domain/policy.js';
import { evaluateRules, serviceRoleKind } from '../domain/rules/index.js';
import { analyseTrust } from '../domain/trust.js';

/** A captured baseline and what a reviewer should look at before committing it. */
export interface Capture {
  readonly yaml: string;
  /** Findings against the AWS defaults that the capture records as accepted: review each one. */
  readonly review: readonly Finding[];
  /** Roles referenced by a compute environment that could not be captured (missing or unreadable). */
  readonly notCaptured: readonly string[];
}

const capitalised = (statement: Statement): Record<string, unknown> => {
  const out: Record<string, unknown> = { Effect: statement.effect };
  if (statement.principals) out.Principal = statement.principals;
  if (statement.notPrincipals) out.NotPrincipal = statement.notPrincipals;
  if (statement.actions) out.Action = statement.actions;
  if (statement.notActions) out.NotAction = statement.notActions;
  if (statement.resources) out.Resource = statement.resources;
  if (statement.notResources) out.NotResource = statement.notResources;
  if (statement.conditions) out.Condition = statement.conditions;
  return out;
};

/** The document as IAM returned it, or rebuilt from its canonical form when the original is not at hand. */
const written = (policy: PolicyDocument): unknown =>
  policy.raw ?? { Version: '2012-10-17', Statement: policy.statements.map(capitalised) };

/**
 * Records the live state of every role the compute environments reference, as a reviewable baseline:
 * each role pinned by ARN with its trust policy, managed policies (exactly), customer-managed and
 * inline documents, permissions boundary and role id, plus each instance profile's role. Auditing the
 * same account against it reports no drift; anything that would have been a finding against the AWS
 * defaults is listed in the header for review.
 */
export const captureBaseline = (state: CollectedState, defaults: Baseline, now: Date): Capture => {
  const review = evaluateRules({
    account: state.identity.account,
    partition: state.identity.partition,
    baseline: defaults,
    computeEnvironments: state.computeEnvironments,
    plan: state.plan,
    snapshot: state.snapshot,
  });
  const roles: Record<string, unknown>[] = [];
  const notCaptured: string[] = [];
  for (const [key, entry] of state.plan.roles) {
    const read = state.snapshot.roles.get(key);
    if (read?.status !== 'found') {
      notCaptured.push(
        `${entry.name} (${read?.status === 'error' ? `${read.error.code} on ${read.error.operation}` : 'does not exist'})`,
      );
      continue;
    }
    const role = read.value;
    const kinds = new Set<RoleKind>(
      entry.uses.map((u) => (u.kind === 'service' ? serviceRoleKind(role, defaults) : u.kind)),
    );
    const principals = [
      ...new Set(
        [...kinds].flatMap((kind) =>
          analyseTrust(
            role.trustPolicy,
            defaults.roleKinds[kind].trustedService,
            state.identity.account,
          ).unexpected.map((u) => u.principal),
        ),
      ),
    ].filter((p) => !p.startsWith('NotPrincipal:'));
    const customer = role.attachedPolicies.filter((p) => awsManagedPolicyKey(p.arn) === undefined);
    const pinned: Record<string, unknown> = {};
    for (const policy of customer) {
      const found = state.snapshot.managedPolicies.get(policy.arn);
      if (found?.status === 'found') {
        if (found.value.document) {
          pinned[policy.arn] = { versionId: found.value.defaultVersionId, document: written(found.value.document) };
        }
      }
    }
    const versions: Record<string, string> = {};
    for (const policy of role.attachedPolicies) {
      const key = awsManagedPolicyKey(policy.arn);
      const found = state.snapshot.managedPolicies.get(policy.arn);
      if (key !== undefined && found?.status === 'found') versions[key] = found.value.defaultVersionId;
    }
    roles.push({
      match: { arn: role.arn },
      roleId: role.roleId,
      trust: { ...(principals.length ? { principals } : {}), document: written(role.trustPolicy) },
      managedPolicies: role.attachedPolicies.map((p) => awsManagedPolicyKey(p.arn) ?? p.arn),
      ...(Object.keys(pinned).length ? { customerManagedPolicies: pinned } : {}),
      inlinePolicies: Object.fromEntries(role.inlinePolicies.map((p) => [p.name, written(p.document)])),
      permissionsBoundary: role.permissionsBoundaryArn ?? null,
      ...(Object.keys(versions).length ? { awsManagedPolicyVersions: versions } : {}),
    });
  }
  const instanceProfiles: Record<string, string> = {};
  for (const [key, entry] of state.plan.instanceProfiles) {
    const read = state.snapshot.instanceProfiles.get(key);
    const roleName = read?.status === 'found' ? read.value.roleNames[0] : undefined;
    if (roleName) instanceProfiles[entry.name] = roleName;
  }
  const doc = new Document({ version: 1, account: state.identity.account, instanceProfiles, roles, waivers: [] });
  const header = [
    ` batch-iam-drift baseline captured ${now.toISOString()} from account ${state.identity.account}`,
    ` (${state.computeEnvironments.length} compute environments, ${roles.length} roles). Review it before committing:`,
    ' every role below is accepted exactly as it is today.',
  ];
  if (review.length > 0) {
    header.push(
      '',
      ` ${review.length} finding${review.length === 1 ? '' : 's'} against the AWS defaults are accepted by this capture:`,
    );
    for (const finding of review) header.push(`   [${finding.severity}] ${finding.rule}: ${finding.title}`);
  }
  if (notCaptured.length > 0) {
    header.push('', ' Not captured (they will still be reported):');
    for (const name of notCaptured) header.push(`   ${name}`);
  }
  doc.commentBefore = header.join('\n');
  return { yaml: doc.toString({ lineWidth: 0 }), review, notCaptured };
};
