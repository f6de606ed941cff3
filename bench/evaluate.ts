// npm run bench:evaluate: CPU time of the rules (effective-permission evaluation, risk analysis and every
// other rule) over an account of R roles and C compute environments, with the real AWS managed policy
// documents (test/fixtures/aws-managed-policies.json). No I/O: what is timed is the pure domain core.
// Usage: tsx bench/evaluate.ts [C] [R] [runs] [typical|wide]
//   typical: the customer-managed policies are scoped, wide (s3:*), PassRole+RunInstances, or conditional;
//   wide:    one in six is also an Allow with NotAction on every resource (everything but IAM), the
//            costliest shape to judge (every action in the catalog is a candidate).

import { AWS_DEFAULT_BASELINE } from '../src/domain/baseline.js';
import type { ComputeEnvironment, IamSnapshot, ManagedPolicyState, Read, RoleState } from '../src/domain/model.js';
import { normalisePolicy } from '../src/domain/policy.js';
import { addProfileRoles, planReferences } from '../src/domain/references.js';
import { evaluateRules } from '../src/domain/rules/index.js';
import managed from '../test/fixtures/aws-managed-policies.json' with { type: 'json' };

const [c = '1000', r = '200', runCount = '5', mix = 'typical'] = process.argv.slice(2);
const ACCOUNT = '123456789012';
const AWS = managed.policies as Record<string, { versionId: string; document: unknown }>;

/** Customer-managed documents of the kinds teams write: scoped, wide, and a few risky ones. */
const ALL_DOCS = [
  { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::results/*' },
  {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: 'arn:aws:logs:*:*:log-group:/batch/*',
  },
  { Effect: 'Allow', Action: 's3:*', Resource: '*' },
  { Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances'], Resource: '*' },
  { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' },
  {
    Effect: 'Allow',
    Action: ['secretsmanager:GetSecretValue', 'kms:Decrypt'],
    Resource: '*',
    Condition: { StringEquals: { 'aws:ResourceTag/team': 'x' } },
  },
];

const CUSTOMER_DOCS = mix === 'wide' ? ALL_DOCS : ALL_DOCS.filter((d) => !('NotAction' in d));

const build = () => {
  const roles = new Map<string, Read<RoleState>>();
  const policies = new Map<string, Read<ManagedPolicyState>>();
  const addPolicy = (arn: string, document: unknown, versionId = 'v1') =>
    policies.set(arn, {
      status: 'found',
      value: {
        arn,
        name: arn.split('/').pop() ?? arn,
        defaultVersionId: versionId,
        document: normalisePolicy(document),
      },
    });
  for (const [key, p] of Object.entries(AWS)) addPolicy(`arn:aws:iam::aws:policy/${key}`, p.document, p.versionId);
  const pool = Math.max(1, Math.round(Number(r) / 5));
  for (let i = 0; i < pool; i++) {
    addPolicy(`arn:aws:iam::${ACCOUNT}:policy/team-${i}`, { Statement: [CUSTOMER_DOCS[i % CUSTOMER_DOCS.length]] });
  }
  const kinds = [
    ['service', 'batch.amazonaws.com', 'service-role/AWSBatchServiceRole'],
    ['spot', 'spotfleet.amazonaws.com', 'service-role/AmazonEC2SpotFleetTaggingRole'],
    ['instance', 'ec2.amazonaws.com', 'service-role/AmazonEC2ContainerServiceforEC2Role'],
    ['instance', 'ec2.amazonaws.com', 'service-role/AmazonEC2ContainerServiceforEC2Role'],
    ['instance', 'ec2.amazonaws.com', 'service-role/AmazonEC2ContainerServiceforEC2Role'],
  ] as const;
  const names: Record<string, string[]> = { service: [], spot: [], instance: [] };
  for (let i = 0; i < Number(r); i++) {
    const [kind, service, policy] = kinds[i % kinds.length] ?? kinds[0];
    const name = `${kind}-${i}`;
    names[kind]?.push(name);
    roles.set(name, {
      status: 'found',
      value: {
        name,
        arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
        path: '/',
        roleId: `AROA${i}`,
        trustPolicy: normalisePolicy({
          Statement: { Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' },
        }),
        attachedPolicies: [
          { arn: `arn:aws:iam::aws:policy/${policy}`, name: policy.split('/').pop() ?? policy },
          { arn: `arn:aws:iam::${ACCOUNT}:policy/team-${i % pool}`, name: `team-${i % pool}` },
        ],
        inlinePolicies: [
          {
            name: 'extra',
            document: normalisePolicy({
              Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket-${i}/*` },
            }),
          },
        ],
      },
    });
  }
  const instanceProfiles = new Map(
    (names.instance ?? []).map((n) => [
      `profile-${n}`,
      {
        status: 'found' as const,
        value: {
          name: `profile-${n}`,
          arn: `arn:aws:iam::${ACCOUNT}:instance-profile/profile-${n}`,
          path: '/',
          roleNames: [n],
        },
      },
    ]),
  );
  const pick = (list: string[] | undefined, i: number) => list?.[i % list.length] ?? '';
  const computeEnvironments: ComputeEnvironment[] = Array.from({ length: Number(c) }, (_, i) => {
    const region = `region-${Math.floor(i / 50)}`;
    const spot = i % 2 === 1;
    return {
      arn: `arn:aws:batch:${region}:${ACCOUNT}:compute-environment/ce-${i}`,
      name: `ce-${i}`,
      region,
      type: 'MANAGED',
      status: 'VALID',
      orchestration: 'ECS',
      serviceRole: `arn:aws:iam::${ACCOUNT}:role/${pick(names.service, i)}`,
      resourceType: spot ? 'SPOT' : 'EC2',
      instanceRole: `profile-${pick(names.instance, i)}`,
      ...(spot
        ? { spotIamFleetRole: `arn:aws:iam::${ACCOUNT}:role/${pick(names.spot, i)}`, allocationStrategy: 'BEST_FIT' }
        : {}),
    };
  });
  const snapshot: IamSnapshot = { roles, instanceProfiles, managedPolicies: policies };
  return { computeEnvironments, snapshot };
};

const runs: { cpuMs: number; findings: number }[] = [];
for (let run = 0; run < Number(runCount); run++) {
  // A fresh snapshot each run, as each audit has: per-role caches start empty.
  const { computeEnvironments, snapshot } = build();
  const started = process.cpuUsage();
  const plan = addProfileRoles(
    planReferences(
      { computeEnvironments },
      { serviceLinkedRoleName: AWS_DEFAULT_BASELINE.serviceLinkedRole.name, account: ACCOUNT, partition: 'aws' },
    ),
    snapshot.instanceProfiles,
  );
  const findings = evaluateRules({
    account: ACCOUNT,
    partition: 'aws',
    baseline: AWS_DEFAULT_BASELINE,
    computeEnvironments,
    plan,
    snapshot,
  });
  const used = process.cpuUsage(started);
  runs.push({ cpuMs: Math.round((used.user + used.system) / 100) / 10, findings: findings.length });
}
const warm = runs
  .slice(1)
  .map((x) => x.cpuMs)
  .sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    computeEnvironments: Number(c),
    roles: Number(r),
    mix,
    firstRunCpuMs: runs[0]?.cpuMs,
    warmMedianCpuMs: warm[Math.floor(warm.length / 2)],
    runsCpuMs: runs.map((x) => x.cpuMs),
    findings: runs[0]?.findings,
    node: process.version,
  })}\n`,
);
