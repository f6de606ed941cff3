import type { FindingDraft } from '../finding.js';
import { serviceSpellings } from '../partitions.js';
import { describeDiff, diffTrustPolicies, sameAccess } from '../policy-diff.js';
import { analyseTrust } from '../trust.js';
import { type RoleContext, trustDocument } from './context.js';

/** `AWS:arn:aws:iam::210987654321:root` and `AWS:210987654321` name the same principal: compare the account id. */
const normalisePrincipal = (principal: string): string =>
  principal.replace(/^AWS:arn:[a-z-]+:iam::(\d{12}):root$/, 'AWS:$1');

/** Trust policy rules: the kind's service can assume the role, no unexpected principal, pinned trust unchanged, confused-deputy hardening. */
export function* trustRules({ role, kind, expected, base, input }: RoleContext): Generator<FindingDraft> {
  const spellings = serviceSpellings(expected.trustedService, input.partition);
  const service = spellings[0] ?? expected.trustedService;
  const trust = analyseTrust(role.trustPolicy, spellings, input.account);
  const fix = `aws iam update-assume-role-policy --role-name ${role.name} --policy-document '${trustDocument(service)}'`;
  let reported = false;
  const allowed = new Set(expected.allowedPrincipals.map(normalisePrincipal));
  if (!trust.serviceCanAssume) {
    reported = true;
    yield {
      ...base,
      rule: 'trust-service-missing',
      severity: 'high',
      title: `${service} cannot assume ${kind} ${role.name}`,
      subject: service,
      expected: `trust policy allows ${service} to call sts:AssumeRole`,
      actual: trust.blockedBecause ?? 'no such statement',
      remediation: fix,
    };
  }
  for (const principal of trust.unexpected) {
    if (allowed.has(normalisePrincipal(principal.principal))) continue;
    reported = true;
    yield {
      ...base,
      rule: 'trust-principal-unexpected',
      severity: principal.severity,
      title: `${kind} ${role.name} trusts ${principal.principal}`,
      subject: principal.principal,
      expected: `only ${[service, ...expected.allowedPrincipals].join(', ')} may assume the role`,
      actual: `${principal.principal} may assume it: ${principal.reason}`,
      remediation: `Remove ${principal.principal} from the trust policy: ${fix}`,
    };
  }
  const diff =
    expected.trustDocument && !reported ? diffTrustPolicies(expected.trustDocument, role.trustPolicy) : undefined;
  if (diff && !sameAccess(diff)) {
    yield {
      ...base,
      rule: 'trust-policy-changed',
      severity: diff.broadened ? 'high' : 'medium',
      title: `${kind} ${role.name} trust policy changed since the baseline`,
      subject: '',
      expected: 'the trust policy recorded in the baseline',
      actual: describeDiff(diff),
      remediation: `Restore the recorded trust policy (aws iam update-assume-role-policy --role-name ${role.name} --policy-document file://trust.json), or capture the new one into the baseline if the change is intended`,
    };
  }
  // A pinned trust policy was reviewed as a whole; the hardening hint would only repeat itself.
  if (
    expected.confusedDeputyCheck &&
    !expected.trustDocument &&
    trust.serviceCanAssume &&
    !trust.hasConfusedDeputyCondition
  ) {
    yield {
      ...base,
      rule: 'trust-confused-deputy',
      severity: 'low',
      title: `${kind} ${role.name} trust has no aws:SourceAccount or aws:SourceArn condition`,
      subject: service,
      expected: `the ${service} statement is scoped with aws:SourceAccount ${input.account} and/or aws:SourceArn`,
      actual: 'any AWS Batch request from any account could have Batch assume this role',
      remediation: `Add "Condition": {"StringEquals": {"aws:SourceAccount": "${input.account}"}, "ArnLike": {"aws:SourceArn": "arn:${input.partition}:batch:*:${input.account}:*"}} to the batch.amazonaws.com statement, then: aws iam update-assume-role-policy --role-name ${role.name} --policy-document file://trust.json`,
    };
  }
}
