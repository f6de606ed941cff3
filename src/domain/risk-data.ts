import type { RoleKind, Severity } from './model.js';

/**
 * The risk classes the audit judges every role's effective permissions in. Documented with the
 * severity table in docs/rules.md.
 */
export type RiskClass =
  | 'full-admin'
  | 'privilege-escalation'
  | 'credentials-exposure'
  | 'permissions-management'
  | 'data-access'
  | 'service-wildcard';

/** How far a role's permissions reach: what runs with them. */
export type Reach = 'hosts' | 'job' | 'agent' | 'service';

/** The reach of each role kind. */
export const REACH_OF_KIND: Readonly<Record<RoleKind, Reach>> = {
  // Every container on the instance can read the instance role's credentials from the metadata service.
  'instance-role': 'hosts',
  'eks-node-role': 'hosts',
  'job-role': 'job',
  // The ECS agent uses it to pull images, write logs and fetch secrets; the job's code cannot.
  'execution-role': 'agent',
  'service-role': 'service',
  'service-linked-role': 'service',
  'spot-fleet-role': 'service',
  'eventbridge-role': 'service',
};

/**
 * Severity by class and reach, for an unconditional grant; a conditional one is one step lower.
 * `null`: the class is not reported for that reach (another rule covers it).
 */
export const SEVERITY_TABLE: Readonly<Record<RiskClass, Readonly<Record<Reach, Severity | null>>>> = {
  'full-admin': { hosts: 'critical', job: 'critical', agent: 'critical', service: 'critical' },
  'privilege-escalation': { hosts: 'critical', job: 'critical', agent: 'high', service: 'high' },
  'permissions-management': { hosts: 'high', job: 'high', agent: 'high', service: 'high' },
  'credentials-exposure': { hosts: 'high', job: 'medium', agent: null, service: 'medium' },
  'data-access': { hosts: 'high', job: 'medium', agent: 'low', service: 'medium' },
  'service-wildcard': { hosts: 'high', job: 'high', agent: 'medium', service: 'medium' },
};

/**
 * The resource a step is tried on. `self`: the audited role; `role`, `user`, `group`, `policy`: any
 * such IAM entity of the account; otherwise an ARN with `${Partition}`, `${Region}`, `${Account}` and
 * `${Other}` (another account) placeholders, where `zq9-any` stands for any name.
 */
export type StepResource = 'self' | 'role' | 'user' | 'group' | 'policy' | string;

/** One request a method needs allowed. */
export interface MethodStep {
  readonly action: string;
  /** Any one of these resources suffices. */
  readonly resources: readonly StepResource[];
  /** Condition keys the request carries (lower-case key → values), e.g. `iam:passedtoservice`. */
  readonly context?: Readonly<Record<string, readonly string[]>>;
}

/** A published privilege-escalation method: every step must be allowed. */
export interface EscalationMethod {
  readonly id: string;
  readonly title: string;
  readonly steps: readonly MethodStep[];
  /** Where the method is published. */
  readonly source: string;
  readonly fix: string;
}

const RHINO = 'Rhino Security Labs, AWS IAM privilege escalation methods (2018)';
const BISHOP = 'Bishop Fox, Privilege escalation in AWS (2022); pathfinding.cloud';

const passRole = (service: string | undefined): MethodStep => ({
  action: 'iam:PassRole',
  resources: ['role'],
  ...(service ? { context: { 'iam:passedtoservice': [service] } } : {}),
});

const INSTANCE = 'arn:${Partition}:ec2:${Region}:${Account}:instance/zq9-any';
const FUNCTION = 'arn:${Partition}:lambda:${Region}:${Account}:function:zq9-any';
const STACK = 'arn:${Partition}:cloudformation:${Region}:${Account}:stack/zq9-any/zq9-any';
const DEV_ENDPOINT = 'arn:${Partition}:glue:${Region}:${Account}:devEndpoint/zq9-any';
const PIPELINE = 'arn:${Partition}:datapipeline:${Region}:${Account}:pipeline/zq9-any';
const NOTEBOOK = 'arn:${Partition}:sagemaker:${Region}:${Account}:notebook-instance/zq9-any';

/** The privilege-escalation methods the audit looks for, as data. Listed with their sources in docs/rules.md. */
export const ESCALATION_METHODS: readonly EscalationMethod[] = [
  {
    id: 'iam-create-policy-version',
    title: 'rewrite a customer-managed policy with iam:CreatePolicyVersion',
    steps: [{ action: 'iam:CreatePolicyVersion', resources: ['policy'] }],
    source: RHINO,
    fix: 'Remove iam:CreatePolicyVersion, or scope it to policies attached to no one who could use them',
  },
  {
    id: 'iam-set-default-policy-version',
    title: 'switch a policy to an older, broader version with iam:SetDefaultPolicyVersion',
    steps: [{ action: 'iam:SetDefaultPolicyVersion', resources: ['policy'] }],
    source: RHINO,
    fix: 'Remove iam:SetDefaultPolicyVersion',
  },
  {
    id: 'passrole-ec2',
    title: 'launch an EC2 instance with a more privileged role (iam:PassRole + ec2:RunInstances)',
    steps: [passRole('ec2.amazonaws.com'), { action: 'ec2:RunInstances', resources: [INSTANCE] }],
    source: RHINO,
    fix: 'Scope iam:PassRole to the roles the workload must pass, or remove ec2:RunInstances',
  },
  {
    id: 'iam-create-access-key',
    title: 'create access keys for another IAM user (iam:CreateAccessKey)',
    steps: [{ action: 'iam:CreateAccessKey', resources: ['user'] }],
    source: RHINO,
    fix: 'Remove iam:CreateAccessKey',
  },
  {
    id: 'iam-create-login-profile',
    title: 'give an IAM user a console password (iam:CreateLoginProfile)',
    steps: [{ action: 'iam:CreateLoginProfile', resources: ['user'] }],
    source: RHINO,
    fix: 'Remove iam:CreateLoginProfile',
  },
  {
    id: 'iam-update-login-profile',
    title: "change an IAM user's console password (iam:UpdateLoginProfile)",
    steps: [{ action: 'iam:UpdateLoginProfile', resources: ['user'] }],
    source: RHINO,
    fix: 'Remove iam:UpdateLoginProfile',
  },
  {
    id: 'iam-attach-user-policy',
    title: 'attach any managed policy to a user (iam:AttachUserPolicy)',
    steps: [{ action: 'iam:AttachUserPolicy', resources: ['user'] }],
    source: RHINO,
    fix: 'Remove iam:AttachUserPolicy',
  },
  {
    id: 'iam-attach-group-policy',
    title: 'attach any managed policy to a group (iam:AttachGroupPolicy)',
    steps: [{ action: 'iam:AttachGroupPolicy', resources: ['group'] }],
    source: RHINO,
    fix: 'Remove iam:AttachGroupPolicy',
  },
  {
    id: 'iam-attach-role-policy',
    title: 'attach any managed policy (AdministratorAccess) to itself or another role (iam:AttachRolePolicy)',
    steps: [{ action: 'iam:AttachRolePolicy', resources: ['self', 'role'] }],
    source: RHINO,
    fix: 'Remove iam:AttachRolePolicy',
  },
  {
    id: 'iam-put-user-policy',
    title: 'write an inline policy on a user (iam:PutUserPolicy)',
    steps: [{ action: 'iam:PutUserPolicy', resources: ['user'] }],
    source: RHINO,
    fix: 'Remove iam:PutUserPolicy',
  },
  {
    id: 'iam-put-group-policy',
    title: 'write an inline policy on a group (iam:PutGroupPolicy)',
    steps: [{ action: 'iam:PutGroupPolicy', resources: ['group'] }],
    source: RHINO,
    fix: 'Remove iam:PutGroupPolicy',
  },
  {
    id: 'iam-put-role-policy',
    title: 'write an inline policy on itself or another role (iam:PutRolePolicy)',
    steps: [{ action: 'iam:PutRolePolicy', resources: ['self', 'role'] }],
    source: RHINO,
    fix: 'Remove iam:PutRolePolicy',
  },
  {
    id: 'iam-add-user-to-group',
    title: 'add a user to a more privileged group (iam:AddUserToGroup)',
    steps: [{ action: 'iam:AddUserToGroup', resources: ['group'] }],
    source: RHINO,
    fix: 'Remove iam:AddUserToGroup',
  },
  {
    id: 'iam-update-assume-role-policy',
    title: "rewrite another role's trust policy and assume it (iam:UpdateAssumeRolePolicy + sts:AssumeRole)",
    steps: [
      { action: 'iam:UpdateAssumeRolePolicy', resources: ['role'] },
      { action: 'sts:AssumeRole', resources: ['role'] },
    ],
    source: RHINO,
    fix: 'Remove iam:UpdateAssumeRolePolicy',
  },
  {
    id: 'passrole-lambda-invoke',
    title: 'create and invoke a Lambda function with a more privileged role',
    steps: [
      passRole('lambda.amazonaws.com'),
      { action: 'lambda:CreateFunction', resources: [FUNCTION] },
      { action: 'lambda:InvokeFunction', resources: [FUNCTION] },
    ],
    source: RHINO,
    fix: 'Scope iam:PassRole, or remove lambda:CreateFunction',
  },
  {
    id: 'passrole-lambda-event-source',
    title: 'create a Lambda function with a more privileged role and trigger it from an event source',
    steps: [
      passRole('lambda.amazonaws.com'),
      { action: 'lambda:CreateFunction', resources: [FUNCTION] },
      { action: 'lambda:CreateEventSourceMapping', resources: ['*'] },
    ],
    source: RHINO,
    fix: 'Scope iam:PassRole, or remove lambda:CreateFunction',
  },
  {
    id: 'lambda-update-function-code',
    title: "replace an existing Lambda function's code and run as its role (lambda:UpdateFunctionCode)",
    steps: [{ action: 'lambda:UpdateFunctionCode', resources: [FUNCTION] }],
    source: RHINO,
    fix: 'Remove lambda:UpdateFunctionCode, or scope it to functions whose roles are no more privileged',
  },
  {
    id: 'passrole-glue-dev-endpoint',
    title: 'create a Glue development endpoint with a more privileged role',
    steps: [passRole('glue.amazonaws.com'), { action: 'glue:CreateDevEndpoint', resources: ['*'] }],
    source: RHINO,
    fix: 'Scope iam:PassRole, or remove glue:CreateDevEndpoint',
  },
  {
    id: 'glue-update-dev-endpoint',
    title: 'add an SSH key to an existing Glue development endpoint and use its role (glue:UpdateDevEndpoint)',
    steps: [{ action: 'glue:UpdateDevEndpoint', resources: [DEV_ENDPOINT] }],
    source: RHINO,
    fix: 'Remove glue:UpdateDevEndpoint',
  },
  {
    id: 'passrole-cloudformation',
    title: 'create a CloudFormation stack that runs with a more privileged role',
    steps: [passRole('cloudformation.amazonaws.com'), { action: 'cloudformation:CreateStack', resources: [STACK] }],
    source: RHINO,
    fix: 'Scope iam:PassRole, or remove cloudformation:CreateStack',
  },
  {
    id: 'passrole-datapipeline',
    title: 'create and activate a Data Pipeline that runs commands with a more privileged role',
    steps: [
      passRole('datapipeline.amazonaws.com'),
      { action: 'datapipeline:CreatePipeline', resources: ['*'] },
      { action: 'datapipeline:PutPipelineDefinition', resources: [PIPELINE] },
      { action: 'datapipeline:ActivatePipeline', resources: [PIPELINE] },
    ],
    source: RHINO,
    fix: 'Scope iam:PassRole, or remove the datapipeline actions',
  },
  {
    id: 'passrole-sagemaker-notebook',
    title: 'create a SageMaker notebook with a more privileged role and open it',
    steps: [
      passRole('sagemaker.amazonaws.com'),
      { action: 'sagemaker:CreateNotebookInstance', resources: [NOTEBOOK] },
      { action: 'sagemaker:CreatePresignedNotebookInstanceUrl', resources: [NOTEBOOK] },
    ],
    source: BISHOP,
    fix: 'Scope iam:PassRole, or remove sagemaker:CreateNotebookInstance',
  },
  {
    id: 'passrole-sagemaker-training',
    title: 'run a SageMaker training job with a more privileged role',
    steps: [
      passRole('sagemaker.amazonaws.com'),
      {
        action: 'sagemaker:CreateTrainingJob',
        resources: ['arn:${Partition}:sagemaker:${Region}:${Account}:training-job/zq9-any'],
      },
    ],
    source: BISHOP,
    fix: 'Scope iam:PassRole, or remove sagemaker:CreateTrainingJob',
  },
  {
    id: 'passrole-sagemaker-processing',
    title: 'run a SageMaker processing job with a more privileged role',
    steps: [
      passRole('sagemaker.amazonaws.com'),
      {
        action: 'sagemaker:CreateProcessingJob',
        resources: ['arn:${Partition}:sagemaker:${Region}:${Account}:processing-job/zq9-any'],
      },
    ],
    source: BISHOP,
    fix: 'Scope iam:PassRole, or remove sagemaker:CreateProcessingJob',
  },
  {
    id: 'sagemaker-presigned-notebook-url',
    title: 'open an existing SageMaker notebook and use its role (sagemaker:CreatePresignedNotebookInstanceUrl)',
    steps: [{ action: 'sagemaker:CreatePresignedNotebookInstanceUrl', resources: [NOTEBOOK] }],
    source: BISHOP,
    fix: 'Remove sagemaker:CreatePresignedNotebookInstanceUrl',
  },
  {
    id: 'passrole-codebuild',
    title: 'create and start a CodeBuild project with a more privileged role',
    steps: [
      passRole('codebuild.amazonaws.com'),
      {
        action: 'codebuild:CreateProject',
        resources: ['arn:${Partition}:codebuild:${Region}:${Account}:project/zq9-any'],
      },
      {
        action: 'codebuild:StartBuild',
        resources: ['arn:${Partition}:codebuild:${Region}:${Account}:project/zq9-any'],
      },
    ],
    source: BISHOP,
    fix: 'Scope iam:PassRole, or remove codebuild:CreateProject',
  },
  {
    id: 'passrole-ecs-task',
    title: 'register and run an ECS task with a more privileged task role',
    steps: [
      passRole('ecs-tasks.amazonaws.com'),
      {
        action: 'ecs:RegisterTaskDefinition',
        resources: ['arn:${Partition}:ecs:${Region}:${Account}:task-definition/zq9-any:1'],
      },
      { action: 'ecs:RunTask', resources: ['arn:${Partition}:ecs:${Region}:${Account}:task-definition/zq9-any:1'] },
    ],
    source: BISHOP,
    fix: 'Scope iam:PassRole, or remove ecs:RegisterTaskDefinition',
  },
  {
    id: 'passrole-batch-job',
    title: 'register and submit a Batch job with a more privileged job role',
    steps: [
      // Batch passes the job role on to ECS; which service name the request carries is not documented,
      // so a PassedToService condition leaves this method conditional.
      passRole(undefined),
      {
        action: 'batch:RegisterJobDefinition',
        resources: ['arn:${Partition}:batch:${Region}:${Account}:job-definition/zq9-any'],
      },
      {
        action: 'batch:SubmitJob',
        resources: ['arn:${Partition}:batch:${Region}:${Account}:job-definition/zq9-any:1'],
      },
      { action: 'batch:SubmitJob', resources: ['arn:${Partition}:batch:${Region}:${Account}:job-queue/zq9-any'] },
    ],
    source: BISHOP,
    fix: 'Scope iam:PassRole to the job roles this principal may use, or remove batch:RegisterJobDefinition',
  },
  {
    id: 'cloudformation-update-stack',
    title: 'update an existing CloudFormation stack that runs with its own role (cloudformation:UpdateStack)',
    steps: [{ action: 'cloudformation:UpdateStack', resources: [STACK] }],
    source: BISHOP,
    fix: 'Remove cloudformation:UpdateStack, or scope it to stacks without a service role',
  },
  {
    id: 'ssm-send-command',
    title: 'run commands on instances and use their roles (ssm:SendCommand)',
    steps: [
      { action: 'ssm:SendCommand', resources: [INSTANCE] },
      {
        action: 'ssm:SendCommand',
        // AWS-owned documents carry no account in their ARN; the account's own documents do.
        resources: [
          'arn:${Partition}:ssm:${Region}::document/AWS-RunShellScript',
          'arn:${Partition}:ssm:${Region}:${Account}:document/zq9-any',
        ],
      },
    ],
    source: BISHOP,
    fix: 'Remove ssm:SendCommand, or scope it to instances whose roles are no more privileged',
  },
  {
    id: 'ssm-start-session',
    title: 'open a shell on instances and use their roles (ssm:StartSession)',
    steps: [{ action: 'ssm:StartSession', resources: [INSTANCE] }],
    source: BISHOP,
    fix: 'Remove ssm:StartSession',
  },
  {
    id: 'ec2-instance-connect',
    title: 'push an SSH key to instances and use their roles (ec2-instance-connect:SendSSHPublicKey)',
    steps: [{ action: 'ec2-instance-connect:SendSSHPublicKey', resources: [INSTANCE] }],
    source: BISHOP,
    fix: 'Remove ec2-instance-connect:SendSSHPublicKey',
  },
  {
    id: 'sts-assume-role-same-account',
    title: 'assume any role of this account (sts:AssumeRole on every role)',
    steps: [{ action: 'sts:AssumeRole', resources: ['role'] }],
    source: BISHOP,
    fix: 'Scope sts:AssumeRole to the roles the workload must assume',
  },
  {
    id: 'sts-assume-role-any-account',
    title: 'assume roles of any account (sts:AssumeRole on roles of other accounts)',
    steps: [{ action: 'sts:AssumeRole', resources: ['arn:${Partition}:iam::${Other}:role/zq9-any'] }],
    source: BISHOP,
    fix: 'Scope sts:AssumeRole to the role ARNs the workload must assume',
  },
];

/** Actions that hand out credentials or secrets: judged on every resource of their type. */
export const CREDENTIAL_ACTIONS: readonly string[] = [
  'secretsmanager:GetSecretValue',
  'secretsmanager:BatchGetSecretValue',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
  'sts:GetFederationToken',
  'iam:CreateServiceSpecificCredential',
  'ec2:GetPasswordData',
];

/** Actions that read a data service's content: judged on every resource of their type. */
export const DATA_ACTIONS: readonly string[] = [
  's3:GetObject',
  's3:GetObjectVersion',
  'kms:Decrypt',
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ExportTableToPointInTime',
  'rds-data:ExecuteStatement',
];
