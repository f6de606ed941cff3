import type { Finding, FindingDraft } from '../finding.js';
import { atOrAbove, type RoleKind, type RoleState } from '../model.js';
import { type Dependent, entityName, type ForeignReference, jobDefinitionFamily, type RoleUse } from '../references.js';
import { type RuleInput, serviceRoleKind } from './context.js';

/** Where a dependent holds its reference, for the fix. */
const whereHeld = (use: RoleUse): string =>
  use.dependent.type === 'compute-environment'
    ? 'the compute environment (recreate it, or update-compute-environment where the field can change)'
    : use.dependent.type === 'job-definition'
      ? 'the job definition (register a new revision)'
      : 'the EventBridge target (aws events put-targets)';

/** The kind a reference asks for, before any role is read. */
const askedKind = (use: RoleUse, input: RuleInput, role?: RoleState): RoleKind =>
  use.kind !== 'service'
    ? use.kind
    : role
      ? serviceRoleKind(role, input.baseline)
      : entityName(use.referencedAs) === input.baseline.serviceLinkedRole.name
        ? 'service-linked-role'
        : 'service-role';

/**
 * References to a role or instance profile of another account or partition. Batch passes only roles
 * of its own account, so the reference cannot work; the local namesake is not audited in its place.
 */
export function* foreignReferenceRules(input: RuleInput): Generator<FindingDraft> {
  const groups = new Map<string, ForeignReference[]>();
  for (const ref of input.plan.foreign) {
    const key = `${ref.referencedAs}|${ref.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), ref]);
  }
  for (const refs of groups.values()) {
    const [first] = refs;
    if (!first) continue;
    const kind = askedKind(first, input);
    const name = entityName(first.referencedAs);
    yield {
      rule: 'role-reference-unresolved',
      severity: 'high',
      title: `${kind} ${first.referencedAs} is in ${first.differs}, not the audited one`,
      resource: { type: first.entity, arn: first.referencedAs, name },
      roleKind: kind,
      subject: first.referencedAs,
      dependents: refs.map((r) => r.dependent),
      expected: `a ${first.entity === 'role' ? 'role' : 'instance profile'} of account ${input.account} (partition ${input.partition}): Batch cannot pass another account's role`,
      actual: `${first.referencedAs} is in ${first.differs}; it was not audited, and the local ${first.entity} named ${name} (if any) is not the one used`,
      remediation: `Create the ${first.entity} in account ${input.account} and point ${whereHeld(first)} at its ARN`,
    };
  }
}

/**
 * A reference by ARN whose path differs from the role of that name (`role/x` for `role/team/x`):
 * Batch passes the ARN as given and IAM finds no such role ("IamFleetRole is invalid" for Spot Fleet).
 */
export const unresolvedUseFindings = (input: RuleInput, role: RoleState, uses: readonly RoleUse[]): FindingDraft[] => {
  const byValue = new Map<string, RoleUse[]>();
  for (const use of uses) byValue.set(use.referencedAs, [...(byValue.get(use.referencedAs) ?? []), use]);
  return [...byValue.values()].flatMap((group): FindingDraft[] => {
    const first = group[0];
    if (!first) return [];
    const kind = askedKind(first, input, role);
    return [
      {
        rule: 'role-reference-unresolved',
        severity: 'high',
        title: `${kind} reference ${first.referencedAs} does not name role ${role.name} at ${role.path}`,
        resource: { type: 'role', arn: first.referencedAs, name: role.name },
        roleKind: kind,
        subject: first.referencedAs,
        dependents: group.map((u) => u.dependent),
        expected: `the role's ARN ${role.arn}`,
        actual: `${first.referencedAs}: no role has that ARN (the role named ${role.name} lives at path ${role.path}), so Batch's call fails`,
        remediation: `Point ${whereHeld(first)} at ${role.arn}`,
      },
    ];
  });
};

/**
 * Findings that reach older ACTIVE revisions nobody pins: those revisions are dropped from the finding
 * (a finding left with no dependent is dropped), and each job definition name whose old revisions
 * reference a missing or drifted role gets one low finding: deregister them.
 */
export const settleSupersededRevisions = (input: RuleInput, causes: readonly Finding[]): FindingDraft[] => {
  const superseded = new Map(input.plan.supersededJobDefinitions.map((d) => [d.arn, d]));
  if (superseded.size === 0) return causes.map(asDraft);
  const stale = new Map<string, { revisions: Set<string>; reasons: Set<string>; region: string; family: string }>();
  const kept: FindingDraft[] = [];
  for (const finding of causes) {
    const old = finding.jobDefinitions.filter((arn) => superseded.has(arn));
    if (old.length > 0 && (finding.rule === 'role-missing' || atOrAbove(finding.severity, 'medium'))) {
      for (const arn of old) {
        const definition = superseded.get(arn);
        if (!definition) continue;
        const family = jobDefinitionFamily(definition);
        const key = `${definition.region}|${family}`;
        const entry = stale.get(key) ?? { revisions: new Set(), reasons: new Set(), region: definition.region, family };
        entry.revisions.add(arn);
        entry.reasons.add(`${finding.resource.name} (${finding.rule}, ${finding.severity})`);
        stale.set(key, entry);
      }
    }
    const draft = asDraft(finding);
    const current = [...draft.dependents].filter((d) => !(d.type === 'job-definition' && superseded.has(d.arn)));
    if (old.length === 0) kept.push(draft);
    else if (current.length > 0) kept.push({ ...draft, dependents: current });
  }
  for (const { revisions, reasons, region, family } of stale.values()) {
    const numbers = [...revisions]
      .map((arn) => arn.slice(arn.lastIndexOf(':') + 1))
      .sort((a, b) => Number(a) - Number(b));
    const familyArn = [...revisions][0]?.replace(/:\d+$/, '') ?? family;
    kept.push({
      rule: 'job-definition-revision-stale',
      severity: 'low',
      title: `${numbers.length} older ACTIVE revision${numbers.length === 1 ? '' : 's'} of job definition ${family} reference a missing or drifted role`,
      resource: { type: 'job-definition', arn: familyArn, name: family },
      roleKind: null,
      subject: '',
      dependents: [...revisions].map((arn): Dependent => ({ type: 'job-definition', arn })),
      expected: `only the latest revision of ${family} (or revisions a caller pins) ACTIVE`,
      actual: `revision${numbers.length === 1 ? '' : 's'} ${numbers.join(', ')} still ACTIVE and referencing ${[...reasons].join('; ')}: a caller that pins one gets the old roles`,
      remediation: `for r in ${numbers.join(' ')}; do aws batch deregister-job-definition --region ${region} --job-definition ${family}:$r; done`,
    });
  }
  return kept;
};

/** A merged finding back as a draft, its blast radius as dependents. */
const asDraft = (finding: Finding): FindingDraft => {
  const { id: _id, computeEnvironments, jobQueues: _queues, jobDefinitions, eventRules, ...rest } = finding;
  return {
    ...rest,
    dependents: [
      ...computeEnvironments.map((arn) => ({ type: 'compute-environment' as const, arn })),
      ...jobDefinitions.map((arn) => ({ type: 'job-definition' as const, arn })),
      ...eventRules.map((arn) => ({ type: 'event-rule' as const, arn })),
    ],
  };
};
