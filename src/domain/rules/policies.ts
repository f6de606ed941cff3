import { awsManagedPolicyKey, lastSegment, policyRefArn, policyRefMatches } from '../baseline.js';
import type { FindingDraft } from '../finding.js';
import { dangerousGrants, isReadOnlyPolicy, statementCoversResource, wildcardMatch } from '../permissions.js';
import { equivalentPolicies, type PolicyDocument } from '../policy.js';
import { describeDiff, diffPolicies } from '../policy-diff.js';
import {
  grantsAction,
  MAX_SEVERITY,
  ownDocuments,
  type RoleContext,
  SERVICE_WILDCARD_RESOURCE,
  wrongOrchestration,
} from './context.js';

/** Rules on attached AWS managed policies, judged by ARN: dangerous, deprecated, cross-wired, unexpected, and version changes since the baseline. */
export function* awsManagedRules({ role, kind, expected, base, input }: RoleContext): Generator<FindingDraft> {
  const required = expected.requiredManagedPolicies.flat();
  for (const attached of role.attachedPolicies) {
    const key = awsManagedPolicyKey(attached.arn);
    if (key === undefined) continue;
    const explicitlyAllowed = [...expected.allowedManagedPolicies, ...required].some((ref) =>
      policyRefMatches(ref, attached.arn),
    );
    const remove = `aws iam detach-role-policy --role-name ${role.name} --policy-arn ${attached.arn}`;
    const name = lastSegment(key);
    const danger = input.baseline.dangerousManagedPolicies[name];
    const recorded = expected.awsManagedPolicyVersions[key];
    const read = input.snapshot.managedPolicies.get(attached.arn);
    if (recorded && read?.status === 'found' && read.value.defaultVersionId !== recorded) {
      yield {
        ...base,
        rule: 'aws-managed-policy-version-changed',
        severity: 'info',
        title: `AWS updated ${name} (${recorded} → ${read.value.defaultVersionId}) on ${kind} ${role.name}`,
        subject: attached.arn,
        expected: `default version ${recorded}, as recorded in the baseline`,
        actual: `default version ${read.value.defaultVersionId}: AWS changed it, not a person`,
        remediation: 'Review the new version (aws iam get-policy-version), then capture the baseline again',
      };
    }
    // A team baseline that names a dangerous AWS managed policy on this role has accepted it.
    if (danger && !explicitlyAllowed) {
      yield {
        ...base,
        rule: 'dangerous-permission',
        severity: danger,
        title: `${kind} ${role.name} has ${name} attached`,
        subject: attached.arn,
        expected: `${name} is not attached to a Batch role`,
        actual: `AWS managed policy ${attached.arn} is attached`,
        remediation: remove,
      };
    } else if (kind === 'job-role' && !explicitlyAllowed && /FullAccess$/.test(name)) {
      yield {
        ...base,
        rule: 'dangerous-permission',
        severity: 'high',
        title: `${kind} ${role.name} has ${name} attached`,
        subject: attached.arn,
        expected: 'a job role grants the workload only what it needs',
        actual: `AWS managed policy ${attached.arn} grants full access to a service to every job using the role`,
        remediation: `${remove}, then attach a policy scoped to the job's resources`,
      };
    } else if (input.baseline.deprecatedManagedPolicies.includes(name)) {
      yield {
        ...base,
        rule: 'deprecated-managed-policy',
        severity: 'medium',
        title: `${kind} ${role.name} uses deprecated AWS managed policy ${name}`,
        subject: attached.arn,
        expected: 'no deprecated AWS managed policies (once detached they cannot be attached again)',
        actual: `${attached.arn} is attached`,
        remediation: remove,
      };
    } else if (!explicitlyAllowed && wrongOrchestration(kind, key, input.baseline)) {
      yield {
        ...base,
        rule: 'instance-role-wrong-orchestration',
        severity: 'low',
        title: `${kind} ${role.name} carries ${name}, a policy for ${kind === 'eks-node-role' ? 'ECS' : 'EKS'} instances`,
        subject: attached.arn,
        expected: `the ${kind === 'eks-node-role' ? 'EKS node' : 'ECS instance'} policies only`,
        actual: `${attached.arn} is attached: probably a mis-wired instance profile; unneeded permissions`,
        remediation: remove,
      };
    } else if (!explicitlyAllowed && !expected.workloadPolicies) {
      const readOnly = /ReadOnly(Access)?$/.test(name);
      yield {
        ...base,
        rule: 'managed-policy-unexpected',
        // A real service-linked role cannot be edited by customers: anything extra is tampering.
        severity: kind === 'service-linked-role' ? 'high' : readOnly ? 'low' : 'medium',
        title: `${kind} ${role.name} has unexpected policy ${name}`,
        subject: attached.arn,
        expected: `managed policies: ${required.map(lastSegment).join(', ') || 'none'}`,
        actual: `${attached.arn} is also attached${readOnly ? ' (read-only access)' : ''}`,
        remediation: remove,
      };
    }
  }
}

/** Rules on what must be there: required managed policies (or an own-policy equivalent) and the inline policies the baseline records. */
export function* requiredPolicyRules(context: RoleContext): Generator<FindingDraft> {
  const { role, kind, expected, base, input } = context;
  for (const alternatives of expected.requiredManagedPolicies) {
    if (alternatives.some((ref) => role.attachedPolicies.some((p) => policyRefMatches(ref, p.arn)))) continue;
    const arn = policyRefArn(input.partition, alternatives[0] ?? '');
    const equivalentActions = alternatives.map((ref) => expected.requiredEquivalents?.[ref]).find(Boolean);
    const documents = ownDocuments(role, input);
    const equivalent = equivalentActions?.every((action) => grantsAction(documents, action)) === true;
    yield {
      ...base,
      rule: 'managed-policy-missing',
      severity: equivalent ? 'medium' : 'high',
      title: `${kind} ${role.name} is missing ${lastSegment(arn)}`,
      subject: arn,
      expected: `attached: ${alternatives.map(lastSegment).join(' or ')}`,
      actual: `attached: ${role.attachedPolicies.map((p) => p.name).join(', ') || 'none'}${equivalent ? "; the role's own policies grant the equivalent actions, so it works today but will not follow AWS's updates" : ''}`,
      remediation: `aws iam attach-role-policy --role-name ${role.name} --policy-arn ${arn}`,
    };
  }
  for (const name of Object.keys(expected.allowedInlinePolicies)) {
    if (expected.allowedInlinePolicies[name] === null || role.inlinePolicies.some((p) => p.name === name)) continue;
    yield {
      ...base,
      rule: 'inline-policy-missing',
      severity: 'medium',
      title: `${kind} ${role.name} lost inline policy ${name}`,
      subject: name,
      expected: `inline policy ${name} as recorded in the baseline`,
      actual: 'no inline policy of that name: access narrowed, Batch may break',
      remediation: `aws iam put-role-policy --role-name ${role.name} --policy-name ${name} --policy-document file://${name}.json (the document is in the baseline)`,
    };
  }
}

/** A policy on the role that has a document the rules can read. */
interface DocumentPolicy {
  readonly label: string;
  readonly subject: string;
  /** The baseline names it (by ARN or inline name). */
  readonly named: boolean;
  /** The document the baseline pins, if any. */
  readonly pinned?: { document: PolicyDocument; versionId?: string } | undefined;
  readonly document?: PolicyDocument | undefined;
  readonly versionId?: string | undefined;
  readonly remove: string;
  readonly inline: boolean;
}

const documentPolicies = ({ role, expected, input }: RoleContext): DocumentPolicy[] => {
  const customer = role.attachedPolicies
    .filter((p) => awsManagedPolicyKey(p.arn) === undefined)
    .map((attached): DocumentPolicy => {
      const read = input.snapshot.managedPolicies.get(attached.arn);
      return {
        label: `customer-managed policy ${attached.name}`,
        subject: attached.arn,
        named:
          expected.pinnedPolicies[attached.arn] !== undefined ||
          [...expected.allowedManagedPolicies, ...expected.requiredManagedPolicies.flat()].some((ref) =>
            policyRefMatches(ref, attached.arn),
          ),
        pinned: expected.pinnedPolicies[attached.arn],
        document: read?.status === 'found' ? read.value.document : undefined,
        versionId: read?.status === 'found' ? read.value.defaultVersionId : undefined,
        remove: `aws iam detach-role-policy --role-name ${role.name} --policy-arn ${attached.arn}`,
        inline: false,
      };
    });
  const inline = role.inlinePolicies.map((policy): DocumentPolicy => {
    const allowed = expected.allowedInlinePolicies[policy.name];
    return {
      label: `inline policy ${policy.name}`,
      subject: policy.name,
      named: allowed !== undefined,
      pinned: allowed ? { document: allowed } : undefined,
      document: policy.document,
      remove: `aws iam delete-role-policy --role-name ${role.name} --policy-name ${policy.name}`,
      inline: true,
    };
  });
  return [...customer, ...inline];
};

/** True when every Allow in the document is one of the kind's allowed actions (wildcard-aware, on the action side only). */
const onlyAllowedActions = (document: PolicyDocument, allowed: readonly string[]): boolean =>
  document.statements.every(
    (s) =>
      s.effect === 'Deny' ||
      s.actions?.every((pattern) => allowed.some((action) => wildcardMatch(action, pattern, true))) === true,
  );

/** For job roles: a statement that allows a whole service (`s3:*`) on every resource. */
const serviceWildcards = (document: PolicyDocument): string[] =>
  document.statements.flatMap((s) =>
    s.effect === 'Allow' && s.actions && statementCoversResource(s, SERVICE_WILDCARD_RESOURCE)
      ? s.actions.filter((a) => /^[a-z0-9-]+:\*$/.test(a))
      : [],
  );

/** Rules on customer-managed and inline documents: changes against pinned documents, dangerous grants, unexpected policies. */
export function* documentRules(context: RoleContext): Generator<FindingDraft> {
  const { role, kind, expected, base, input } = context;
  for (const policy of documentPolicies(context)) {
    const unchanged = policy.pinned && policy.document && equivalentPolicies(policy.pinned.document, policy.document);
    // A pinned document that has not changed was reviewed and accepted, dangerous or not.
    const grants = policy.document && !unchanged ? dangerousGrants(policy.document, input.account) : [];
    const wildcards = kind === 'job-role' && policy.document && !unchanged ? serviceWildcards(policy.document) : [];
    if (policy.pinned && policy.document && !unchanged) {
      const diff = diffPolicies(policy.pinned.document, policy.document);
      const before = dangerousGrants(policy.pinned.document, input.account).map((g) => g.kind);
      const newlyDangerous = grants.some((g) => !before.includes(g.kind));
      yield {
        ...base,
        rule: 'policy-document-changed',
        severity: newlyDangerous ? 'high' : 'medium',
        title: `${kind} ${role.name}: ${policy.label} changed since the baseline (${diff.broadened ? 'broadened' : diff.narrowed ? 'narrowed' : 'rewritten'})`,
        subject: policy.subject,
        expected: `the document recorded in the baseline${policy.pinned.versionId ? ` (version ${policy.pinned.versionId})` : ''}`,
        actual: `${policy.versionId ? `version ${policy.versionId}: ` : ''}${describeDiff(diff)}`,
        remediation: `Restore the recorded document${policy.inline ? ` (aws iam put-role-policy --role-name ${role.name} --policy-name ${policy.subject} --policy-document file://policy.json)` : ` (aws iam create-policy-version --policy-arn ${policy.subject} --policy-document file://policy.json --set-as-default)`}, or capture the new one into the baseline if the change is intended`,
      };
    } else if (
      unchanged &&
      policy.pinned?.versionId &&
      policy.versionId &&
      policy.pinned.versionId !== policy.versionId
    ) {
      yield {
        ...base,
        rule: 'policy-document-changed',
        severity: 'info',
        title: `${kind} ${role.name}: ${policy.label} has a new default version with the same permissions`,
        subject: policy.subject,
        expected: `default version ${policy.pinned.versionId}`,
        actual: `default version ${policy.versionId}, equivalent document`,
        remediation: 'Capture the baseline again to record the new version',
      };
    }
    if (grants.length > 0 || wildcards.length > 0) {
      const summaries = [
        ...grants.map((g) => g.summary),
        ...(wildcards.length ? [`every action of ${wildcards.join(', ')} on every resource`] : []),
      ];
      yield {
        ...base,
        rule: 'dangerous-permission',
        severity: MAX_SEVERITY([...grants.map((g) => g.severity), ...(wildcards.length ? (['high'] as const) : [])]),
        title: `${kind} ${role.name}: ${policy.label} ${summaries[0] ?? ''}`,
        subject: policy.subject,
        expected: 'no administrator, iam:*, unconditioned iam:PassRole or sts:AssumeRole on * in a Batch role',
        actual: `${policy.label}${policy.named ? ' (named in the baseline)' : ' (not in the baseline)'}: ${summaries.join('; ')}`,
        remediation: policy.remove,
      };
    } else if (
      !policy.named &&
      !expected.workloadPolicies &&
      !(expected.allowedActions && policy.document && onlyAllowedActions(policy.document, expected.allowedActions))
    ) {
      const readOnly = policy.document !== undefined && isReadOnlyPolicy(policy.document);
      yield {
        ...base,
        rule: policy.inline ? 'inline-policy-unexpected' : 'managed-policy-unexpected',
        severity: kind === 'service-linked-role' ? 'high' : readOnly ? 'low' : 'medium',
        title: `${kind} ${role.name} has unexpected ${policy.label}`,
        subject: policy.subject,
        expected: policy.inline
          ? `inline policies: ${Object.keys(expected.allowedInlinePolicies).join(', ') || 'none'}`
          : `managed policies: ${expected.requiredManagedPolicies.flat().map(lastSegment).join(', ') || 'none'}`,
        actual: `${policy.label} is present${readOnly ? ' (read-only access)' : policy.document ? '' : ' (its document could not be read)'}`,
        remediation: policy.remove,
      };
    }
  }
}
