import { policyRefArn, policyRefMatches } from '../baseline.js';
import type { FindingDraft } from '../finding.js';
import { type Dependent, entityName } from '../references.js';
import { canEverywhere, roleEvaluator } from './access.js';
import type { RoleContext, RuleInput } from './context.js';

const SECRET_ACTIONS = ['secretsmanager:GetSecretValue', 'ssm:GetParameters', 'ssm:GetParameter', 'kms:Decrypt'];

/** Execution roles: secrets, SSM parameters and KMS keys readable on every resource. */
export function* executionRoleRules({ role, kind, base, input }: RoleContext): Generator<FindingDraft> {
  if (kind !== 'execution-role') return;
  const wide = SECRET_ACTIONS.filter((action) => canEverywhere(role, input, action) !== 'no');
  if (wide.length === 0) return;
  yield {
    ...base,
    rule: 'execution-role-secrets-wildcard',
    severity: 'medium',
    title: `execution-role ${role.name} may read every secret, parameter or key (${wide.join(', ')} on *)`,
    subject: wide.join(','),
    expected: 'secrets, SSM and KMS permissions scoped to the ARNs the jobs use',
    actual: `${wide.join(', ')} allowed on Resource "*": every job that uses this role can read every one`,
    remediation: `Scope the statement's Resource to the secret, parameter and key ARNs the job definitions reference, then aws iam put-role-policy --role-name ${role.name} ...`,
  };
}

/** EventBridge target roles: each must be allowed batch:SubmitJob on its rule's queue and job definition. */
export function* eventBridgeRules({ role, kind, uses, base, input }: RoleContext): Generator<FindingDraft> {
  if (kind !== 'eventbridge-role') return;
  const evaluator = roleEvaluator(role, input);
  const managed = role.attachedPolicies.some((p) =>
    input.baseline.submitJobManagedPolicies.some((ref) => policyRefMatches(ref, p.arn)),
  );
  for (const use of uses) {
    const target = input.plan.eventTargets.find((t) => t.ruleArn === use.dependent.arn);
    if (!target) continue;
    const resources = [target.jobQueueArn, ...(target.jobDefinition?.startsWith('arn:') ? [target.jobDefinition] : [])];
    const missing = managed
      ? []
      : resources.filter((arn) => evaluator.evaluate({ action: 'batch:SubmitJob', resource: arn }).decision === 'no');
    if (missing.length === 0) continue;
    yield {
      ...base,
      dependents: [use.dependent],
      rule: 'eventbridge-role-cannot-submit',
      severity: 'high',
      title: `eventbridge-role ${role.name} cannot submit jobs for rule ${target.ruleName}`,
      subject: target.ruleArn,
      expected: `batch:SubmitJob allowed on ${resources.join(' and ')}`,
      actual: `no policy of the role allows batch:SubmitJob on ${missing.join(' and ')}: scheduled and event-driven jobs are silently not submitted`,
      remediation: `aws iam attach-role-policy --role-name ${role.name} --policy-arn ${policyRefArn(input.partition, 'service-role/AWSBatchServiceEventTargetRole')}`,
    };
  }
}

/** Job definitions: Fargate without an execution role; one role as both job and execution role. */
export function* jobDefinitionRules(input: RuleInput): Generator<FindingDraft> {
  for (const definition of input.plan.jobDefinitions) {
    const dependents: Dependent[] = [{ type: 'job-definition', arn: definition.arn }];
    if (definition.platformCapabilities.includes('FARGATE') && definition.containersWithoutExecutionRole > 0) {
      yield {
        rule: 'job-definition-execution-role-missing',
        severity: 'high',
        title: `Fargate job definition ${definition.name} has no execution role`,
        resource: { type: 'job-definition', arn: definition.arn, name: definition.name },
        roleKind: 'execution-role',
        subject: '',
        dependents,
        expected: 'executionRoleArn set: jobs on Fargate must provide an execution role',
        actual: `${definition.containersWithoutExecutionRole} container${definition.containersWithoutExecutionRole === 1 ? '' : 's'} without executionRoleArn: images cannot be pulled nor logs written`,
        remediation: `aws batch register-job-definition --job-definition-name ${definition.name} ... with containerProperties.executionRoleArn set to a role trusting ecs-tasks.amazonaws.com with AmazonECSTaskExecutionRolePolicy`,
      };
    }
    for (const arn of definition.jobRoles.filter((r) => definition.executionRoles.includes(r))) {
      const name = entityName(arn);
      yield {
        rule: 'role-used-as-job-and-execution',
        severity: 'info',
        title: `Job definition ${definition.name} uses ${name} as both job role and execution role`,
        resource: { type: 'role', arn, name },
        roleKind: 'job-role',
        subject: definition.arn,
        dependents,
        expected: 'separate roles: the execution role serves the ECS agent, the job role the application',
        actual: `${name} is both: the application gets the agent's permissions and the reverse`,
        remediation: 'Create a dedicated job role with only what the job needs and set jobRoleArn to it',
      };
    }
  }
}
