import type { FindingDraft } from '../finding.js';
import type { RoleContext } from './context.js';

/** The permissions boundary the baseline states, added, removed or changed. */
export function* boundaryRules({ role, kind, expected, base }: RoleContext): Generator<FindingDraft> {
  if (expected.permissionsBoundary === undefined) return;
  const actual = role.permissionsBoundaryArn ?? null;
  if (actual === expected.permissionsBoundary) return;
  yield {
    ...base,
    rule: 'permissions-boundary-changed',
    severity: 'medium',
    title: `${kind} ${role.name} permissions boundary ${actual === null ? 'removed' : expected.permissionsBoundary === null ? 'added' : 'changed'}`,
    subject: '',
    expected:
      expected.permissionsBoundary === null ? 'no permissions boundary' : `boundary ${expected.permissionsBoundary}`,
    actual:
      actual === null
        ? 'no permissions boundary: the role may use everything its policies grant'
        : `boundary ${actual}${expected.permissionsBoundary === null ? ': Batch may lose permissions it needs' : ''}`,
    remediation:
      expected.permissionsBoundary === null
        ? `aws iam delete-role-permissions-boundary --role-name ${role.name}`
        : `aws iam put-role-permissions-boundary --role-name ${role.name} --permissions-boundary ${expected.permissionsBoundary}`,
  };
}

/** A role deleted and recreated under the same name (its role id changed since the baseline). */
export function* identityRules({ role, kind, expected, base }: RoleContext): Generator<FindingDraft> {
  if (!expected.roleId || expected.roleId === role.roleId) return;
  yield {
    ...base,
    rule: 'role-recreated',
    severity: 'medium',
    title: `${kind} ${role.name} was deleted and recreated (new role id)`,
    subject: '',
    expected: `role id ${expected.roleId}, as recorded in the baseline`,
    actual: `role id ${role.roleId}: trust and resource policies elsewhere that named the old role by id no longer apply to it`,
    remediation:
      'Check policies that reference the role (KMS key policies, S3 bucket policies, trust policies), then capture the baseline again',
  };
}
