import type { FindingDraft } from '../finding.js';
import type { ComputeEnvironment } from '../model.js';
import { entityName } from '../references.js';
import { roleEvaluator } from './access.js';
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

/** Only `BEST_FIT` (the default when unset) runs Spot capacity through Spot Fleet. */
const usesSpotFleet = (ce: ComputeEnvironment): boolean =>
  ce.resourceType === 'SPOT' && (ce.allocationStrategy === undefined || ce.allocationStrategy === 'BEST_FIT');

/**
 * Whether the compute environment's Batch service role may create the service-linked role itself
 * (`iam:CreateServiceLinkedRole` for that service), as the documented Batch policies allow.
 */
const serviceRoleCreates = (input: RuleInput, ce: ComputeEnvironment, service: string, arn: string): boolean => {
  const name = ce.serviceRole ? entityName(ce.serviceRole) : input.baseline.serviceLinkedRole.name;
  const read = input.snapshot.roles.get(name.toLowerCase());
  if (read?.status !== 'found') return false;
  return (
    roleEvaluator(read.value, input).evaluate({
      action: 'iam:CreateServiceLinkedRole',
      resource: arn,
      context: { 'iam:awsservicename': [service] },
    }).decision !== 'no'
  );
};

/**
 * Account-wide prerequisites of SPOT compute environments: the EC2 Spot service-linked role for all of
 * them, the Spot Fleet one only for those that use Spot Fleet (`BEST_FIT`), and their Spot Fleet role.
 */
export function* accountRules(input: RuleInput): Generator<FindingDraft> {
  const spot = input.computeEnvironments.filter((ce) => ce.resourceType === 'SPOT');
  if (spot.length === 0) return;
  for (const ce of spot.filter((c) => usesSpotFleet(c) && !c.spotIamFleetRole)) {
    yield {
      rule: 'spot-fleet-role-missing',
      severity: 'high',
      title: `SPOT compute environment ${ce.name} uses Spot Fleet (BEST_FIT) but names no Spot Fleet role`,
      resource: { type: 'compute-environment', arn: ce.arn, name: ce.name },
      roleKind: 'spot-fleet-role',
      subject: 'spotIamFleetRole',
      dependents: [{ type: 'compute-environment' as const, arn: ce.arn }],
      expected: 'spotIamFleetRole set to a role trusting spotfleet.amazonaws.com with AmazonEC2SpotFleetTaggingRole',
      actual: 'no spotIamFleetRole: Batch cannot request Spot capacity for this compute environment',
      remediation:
        'Recreate the compute environment with computeResources.spotIamFleetRole, or use SPOT_PRICE_CAPACITY_OPTIMIZED, which needs no Spot Fleet role',
    };
  }
  for (const slr of input.baseline.spotServiceLinkedRoles) {
    if (input.snapshot.roles.get(slr.name.toLowerCase())?.status !== 'missing') continue;
    // Only Spot Fleet needs its own service-linked role; EC2 Spot is needed by every SPOT environment.
    const needing = slr.service === 'spotfleet.amazonaws.com' ? spot.filter(usesSpotFleet) : spot;
    if (needing.length === 0) continue;
    const arn = `arn:${input.partition}:iam::${input.account}:role${slr.path}${slr.name}`;
    const selfCreated = needing.every((ce) => serviceRoleCreates(input, ce, slr.service, arn));
    yield {
      rule: 'spot-service-linked-role-missing',
      severity: selfCreated ? 'info' : 'medium',
      title: `${slr.name} does not exist while SPOT compute environments that need it do`,
      resource: { type: 'role', arn, name: slr.name },
      roleKind: null,
      subject: '',
      dependents: needing.map((ce) => ({ type: 'compute-environment' as const, arn: ce.arn })),
      expected: `the Spot service-linked role ${slr.name}`,
      actual: `IAM answers NoSuchEntity${selfCreated ? '; the Batch service role may create it on the next scale-out (its policy allows iam:CreateServiceLinkedRole for it)' : ''}`,
      remediation: `aws iam create-service-linked-role --aws-service-name ${slr.service}`,
    };
  }
}
