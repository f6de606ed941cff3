import type { FindingDraft, RuleId } from '../finding.js';
import { SEVERITIES, type Severity } from '../model.js';
import { analyseRisk, type RiskGrant } from '../risk.js';
import { REACH_OF_KIND, type RiskClass, SEVERITY_TABLE } from '../risk-data.js';
import { acceptedEvaluator, describeRefs, riskScope, roleEvaluator } from './access.js';
import type { RoleContext } from './context.js';

/** The rule each risk class is reported under. */
const RULE_OF_CLASS: Readonly<Record<RiskClass, RuleId>> = {
  'full-admin': 'dangerous-permission',
  'service-wildcard': 'dangerous-permission',
  'privilege-escalation': 'privilege-escalation',
  'credentials-exposure': 'credentials-exposure',
  'data-access': 'data-access',
  'permissions-management': 'permissions-management',
};

/** One step less severe: a grant that holds only under a condition the audit cannot decide. */
const lower = (severity: Severity): Severity => SEVERITIES[Math.min(SEVERITIES.indexOf(severity) + 1, 4)] ?? 'info';

/** The severity of a grant on a role of this kind, from the table in docs/rules.md; null: not reported. */
export const riskSeverity = (grant: RiskGrant, kind: RoleContext['kind']): Severity | null => {
  const base = SEVERITY_TABLE[grant.riskClass][REACH_OF_KIND[kind]];
  const own = base === null ? null : grant.decision === 'conditional' ? lower(base) : base;
  // A wildcard is as severe as the worst grant it contains.
  const inner = (grant.includes ?? []).map((g) => riskSeverity(g, kind)).filter((s): s is Severity => s !== null);
  const all = own === null ? inner : [own, ...inner];
  return all.length === 0 ? null : (SEVERITIES.find((s) => all.includes(s)) ?? null);
};

/** What a wildcard contains, briefly: the escalation methods by id, the other grants by title. */
const included = (grants: readonly RiskGrant[]): string => {
  const methods = grants.filter((g) => g.riskClass === 'privilege-escalation').map((g) => g.id);
  return [
    ...(methods.length ? [`privilege escalation (${methods.join(', ')})`] : []),
    ...grants.filter((g) => g.riskClass !== 'privilege-escalation').map((g) => g.title),
  ].join('; ');
};

/** The grant's fix, naming the statements; AWS managed policies are detached, not edited. */
const remediation = (grant: RiskGrant): string => {
  const removals = [...new Set(grant.allowedBy.flatMap((r) => (r.remove ? [r.remove] : [])))];
  const editable = grant.allowedBy.filter((r) => !r.remove);
  return [...(editable.length ? [`${grant.fix}: edit ${describeRefs(editable)}`] : []), ...removals].join('; ');
};

const toDraft = ({ role, kind, base }: RoleContext, grant: RiskGrant, severity: Severity): FindingDraft => ({
  ...base,
  rule: RULE_OF_CLASS[grant.riskClass],
  severity,
  title: `${kind} ${role.name}${grant.riskClass === 'privilege-escalation' ? ' can escalate privileges:' : ':'} ${grant.title}${grant.decision === 'conditional' ? ' (conditional)' : ''}`,
  subject: grant.id,
  expected: 'no grant beyond what the role kind needs and the baseline accepts',
  actual: `${grant.actions.slice(0, 12).join(', ')}${grant.actions.length > 12 ? ` and ${grant.actions.length - 12} more` : ''} allowed by ${describeRefs(grant.allowedBy)}${
    grant.decision === 'conditional' ? `, only if: ${grant.conditions.join('; ')}` : ''
  }${grant.source ? ` (method published by ${grant.source})` : ''}${
    grant.includes?.length ? `; this includes ${included(grant.includes)}` : ''
  }`,
  remediation: remediation(grant),
});

const cache = new WeakMap<RoleContext, RiskGrant[]>();

/** The risky grants of the role used as this kind that are reported (their class has a severity for the kind). */
export const reportedRisks = (context: RoleContext): RiskGrant[] => {
  const cached = cache.get(context);
  if (cached) return cached;
  const grants = analyseRisk(
    roleEvaluator(context.role, context.input),
    acceptedEvaluator(context),
    riskScope(context.role, context.input),
  ).filter((grant) => riskSeverity(grant, context.kind) !== null);
  cache.set(context, grants);
  return grants;
};

/**
 * Judges the role's effective permissions (identity policies minus denies, within the boundary) for
 * the risk classes, against what its baseline accepts, and reports each grant at the severity its class
 * and the role's reach give.
 */
export function* effectivePermissionRules(context: RoleContext): Generator<FindingDraft> {
  for (const grant of reportedRisks(context)) {
    const severity = riskSeverity(grant, context.kind);
    if (severity !== null) yield toDraft(context, grant, severity);
  }
}
