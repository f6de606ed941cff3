import type { FindingDraft } from '../finding.js';
import { type RoleContext, type RuleInput, roleResource } from './context.js';

/** How compute environments name their service role: impostor service-linked roles, bare names, EKS on a customer role, customer role instead of the service-linked role. */
export function* serviceRoleReferenceRules({
  role,
  kind,
  uses,
  expected,
  input,
}: RoleContext): Generator<FindingDraft> {
  if (kind !== 'service-role' && kind !== 'service-linked-role') return;
  const slr = input.baseline.serviceLinkedRole;
  const resource = roleResource(role);
  const ces = new Map(input.computeEnvironments.map((ce) => [ce.arn, ce]));
  const serviceUses = uses.filter((u) => u.kind === 'service');
  const dependents = serviceUses.map((u) => u.dependent);
  if (role.name === slr.name && role.path !== slr.path) {
    yield {
      resource,
      roleKind: kind,
      dependents,
      rule: 'service-linked-role-impostor',
      severity: 'high',
      title: `A role named ${slr.name} lives at ${role.path}, not ${slr.path}`,
      subject: '',
      expected: `the service-linked role at ${slr.path}, created by AWS with BatchServiceRolePolicy`,
      actual: `an ordinary role with that name at path ${role.path}: created by hand (a known documentation trap) or an impostor`,
      remediation:
        'aws iam create-service-linked-role --aws-service-name batch.amazonaws.com, point the compute environments at it, then delete this role',
    };
  }
  // Only a name the compute environment itself holds counts: no serviceRole at all means the service-linked role.
  const bare = serviceUses.filter((u) => {
    const given = ces.get(u.dependent.arn)?.serviceRole?.trim();
    return given !== undefined && given !== '' && !given.startsWith('arn:') && !given.includes('/');
  });
  if (bare.length > 0 && role.path !== '/') {
    yield {
      resource,
      roleKind: kind,
      dependents: bare.map((u) => u.dependent),
      rule: 'service-role-name-without-path',
      severity: 'medium',
      title: `Compute environments name service role ${role.name} without its path ${role.path}`,
      subject: 'serviceRole',
      expected: `serviceRole given as the full ARN ${role.arn}`,
      actual: `serviceRole is "${bare[0]?.referencedAs}": Batch assumes no path, so it looks for the wrong ARN and the compute environment goes INVALID`,
      remediation: `aws batch update-compute-environment --compute-environment NAME --service-role ${role.arn} (where the service role can be changed), or recreate the compute environment with the full ARN`,
    };
  }
  if (kind !== 'service-role') return;
  const eks = serviceUses.filter((u) => ces.get(u.dependent.arn)?.orchestration === 'EKS');
  if (eks.length > 0) {
    yield {
      resource,
      roleKind: kind,
      dependents: eks.map((u) => u.dependent),
      rule: 'eks-service-role-not-slr',
      severity: 'high',
      title: `EKS compute environments use customer service role ${role.name}`,
      subject: 'serviceRole',
      expected: 'AWS Batch on Amazon EKS supports only the service-linked role AWSServiceRoleForBatch',
      actual: `serviceRole is ${role.arn}`,
      remediation: 'Recreate the compute environment without serviceRole, so Batch uses the service-linked role',
    };
  }
  const managedEcs = serviceUses.filter((u) => {
    const ce = ces.get(u.dependent.arn);
    return ce?.type === 'MANAGED' && ce.orchestration === 'ECS';
  });
  // A captured (pinned) role was reviewed as it is; the advice was in the capture's header.
  if (managedEcs.length > 0 && !expected.trustDocument) {
    yield {
      resource,
      roleKind: kind,
      dependents: managedEcs.map((u) => u.dependent),
      rule: 'service-role-not-slr',
      severity: 'info',
      title: `Managed compute environments use customer service role ${role.name} instead of the service-linked role`,
      subject: 'serviceRole',
      expected: 'the service-linked role AWSServiceRoleForBatch (AWS recommends leaving serviceRole unset)',
      actual: `serviceRole is ${role.arn}: infrastructure updates are not possible, and the role can be edited and drift`,
      remediation:
        'New compute environments: leave serviceRole unset. Existing ones cannot switch in place; recreate them when convenient.',
    };
  }
}

/** Account-wide prerequisites: the Spot service-linked roles while SPOT compute environments exist. */
export function* accountRules(input: RuleInput): Generator<FindingDraft> {
  const spot = input.computeEnvironments.filter((ce) => ce.resourceType === 'SPOT');
  if (spot.length === 0) return;
  for (const slr of input.baseline.spotServiceLinkedRoles) {
    if (input.snapshot.roles.get(slr.name.toLowerCase())?.status !== 'missing') continue;
    yield {
      rule: 'spot-service-linked-role-missing',
      severity: 'medium',
      title: `${slr.name} does not exist while SPOT compute environments do`,
      resource: {
        type: 'role',
        arn: `arn:${input.partition}:iam::${input.account}:role${slr.path}${slr.name}`,
        name: slr.name,
      },
      roleKind: null,
      subject: '',
      dependents: spot.map((ce) => ({ type: 'compute-environment' as const, arn: ce.arn })),
      expected: `the Spot service-linked role ${slr.name}`,
      actual: 'IAM answers NoSuchEntity',
      remediation: `aws iam create-service-linked-role --aws-service-name ${slr.service}`,
    };
  }
}
