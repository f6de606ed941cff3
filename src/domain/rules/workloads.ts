import { policyRefArn, policyRefMatches } from '../baseline.js';
import type { FindingDraft } from '../finding.js';
import { type Dependent, entityName, jobDefinitionFamily } from '../references.js';
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
  const rules = new Map(uses.map((u) => [u.dependent.arn, u.dependent]));
  for (const [ruleArn, dependent] of rules) {
    // A rule may have several targets, each with its own role: every one that uses this role is judged.
    const targets = input.plan.eventTargets.filter(
      (t) => t.ruleArn === ruleArn && t.roleArn && entityName(t.roleArn).toLowerCase() === role.name.toLowerCase(),
    );
    const judged = targets.map((target) => {
      // SubmitJob names the queue and the job definition ARN with its revision: both must be allowed.
      const definition =
        target.jobDefinitionArn ?? (target.jobDefinition?.startsWith('arn:') ? target.jobDefinition : undefined);
      const resources = [target.jobQueueArn, ...(definition ? [definition] : [])];
      const missing = managed
        ? []
        : resources.filter((arn) => evaluator.evaluate({ action: 'batch:SubmitJob', resource: arn }).decision === 'no');
      return { target, definition, resources, missing };
    });
    const failing = judged.filter((j) => j.missing.length > 0);
    const first = failing[0];
    if (!first) continue;
    const definitions = failing.map((j) => (j.definition ? j.definition.replace(/:\d+$/, ':*') : undefined));
    yield {
      ...base,
      dependents: [dependent],
      rule: 'eventbridge-role-cannot-submit',
      severity: 'high',
      title: `eventbridge-role ${role.name} cannot submit jobs for rule ${first.target.ruleName}`,
      subject: ruleArn,
      expected: `batch:SubmitJob allowed on ${[...new Set(failing.flatMap((j) => j.resources))].join(' and ')}`,
      actual: `no policy of the role allows batch:SubmitJob on ${[...new Set(failing.flatMap((j) => j.missing))].join(' and ')}: the rule's jobs are silently not submitted`,
      remediation: `Allow batch:SubmitJob on the job queue and the job definition (every revision: ${definitions.find(Boolean) ?? 'arn:…:job-definition/NAME:*'}), or aws iam attach-role-policy --role-name ${role.name} --policy-arn ${policyRefArn(input.partition, 'service-role/AWSBatchServiceEventTargetRole')}`,
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

/** One permission a job definition needs of its execution role, on the resource it will use. */
export interface ExecutionNeed {
  readonly action: string;
  /** Resources any one of which, when allowed, satisfies the need (CloudWatch Logs authorises log-group or log-stream ARNs). */
  readonly resources: readonly string[];
  /** The job definition that needs it, and what for. */
  readonly why: string;
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/;

/**
 * What the Fargate job definitions using an execution role need of it: pulling their ECR image (from
 * the image's own repository) and writing awslogs (to the job's log group, Batch's `/aws/batch/job` by
 * default). On EC2 the instance role pulls and logs, so nothing is needed there; images from a private
 * registry with credentials are not pulled from ECR. Secrets are left out: a secret's or key's resource
 * policy may grant them, which this audit does not read.
 */
export const executionRoleNeeds = ({ role, uses, input }: RoleContext): ExecutionNeed[] => {
  const definitions = new Map(
    [...input.plan.jobDefinitions, ...input.plan.supersededJobDefinitions].map((d) => [d.arn, d]),
  );
  const needs: ExecutionNeed[] = [];
  for (const use of uses) {
    const definition = definitions.get(use.dependent.arn);
    if (!definition?.platformCapabilities.includes('FARGATE')) continue;
    const mine = (definition.containers ?? []).filter(
      (c) => c.executionRole && entityName(c.executionRole).toLowerCase() === role.name.toLowerCase(),
    );
    for (const container of mine) {
      const ecr = container.registryCredentials ? null : ECR_IMAGE.exec(container.image ?? '');
      if (ecr) {
        const [, account, region, repository] = ecr;
        const repositoryArn = `arn:${input.partition}:ecr:${region}:${account}:repository/${repository}`;
        const why = `${definition.name} pulls ${container.image}`;
        needs.push({ action: 'ecr:GetAuthorizationToken', resources: ['*'], why });
        for (const action of ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage']) {
          needs.push({ action, resources: [repositoryArn], why });
        }
      }
      if ((container.logDriver ?? 'awslogs') === 'awslogs') {
        const group = container.logGroup ?? '/aws/batch/job';
        const groupArn = `arn:${input.partition}:logs:${container.logRegion ?? definition.region}:${input.account}:log-group:${group}`;
        const streamArn = `${groupArn}:log-stream:${jobDefinitionFamily(definition)}/default/0`;
        const why = `${definition.name} writes logs to ${group}`;
        for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
          needs.push({ action, resources: [streamArn, groupArn], why });
        }
      }
    }
  }
  return needs;
};

/** The needs the role's policies do not allow (a conditional grant counts as allowed: the condition is shown elsewhere). */
export const unmetExecutionNeeds = (context: RoleContext): ExecutionNeed[] => {
  const evaluator = roleEvaluator(context.role, context.input);
  const seen = new Set<string>();
  return executionRoleNeeds(context).filter((need) => {
    const key = `${need.action}|${need.resources[0]}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return need.resources.every((resource) => evaluator.evaluate({ action: need.action, resource }).decision === 'no');
  });
};
