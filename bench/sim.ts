// An in-process simulated AWS account for the benchmark: a request handler that the real SDK
// clients (with their real retry middleware) send to. It renders IAM (query/XML), STS and Batch
// (REST/JSON) answers, adds per-call latency, enforces a token bucket per throttling domain with real
// `Throttling` / `TooManyRequestsException` errors, and paginates as AWS does.
import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponse } from '@smithy/types';

export const ACCOUNT = '123456789012';

/** A generated account: compute environments over regions and the roles they reference. */
export interface Scenario {
  readonly computeEnvironments: number;
  readonly roles: number;
  readonly regions: string[];
  readonly ces: Array<{
    region: string;
    name: string;
    serviceRole: string;
    profile: string;
    spotRole?: string;
  }>;
  readonly roleDocs: Map<string, { trustService: string; attached: string[]; inline: string[] }>;
  readonly profiles: Map<string, string>;
  readonly customerPolicies: string[];
  /** Job queues per region, each sending jobs to up to 3 compute environments (Batch's limit). */
  readonly jobQueues: Array<{ region: string; name: string; computeEnvironments: string[] }>;
  /** Roles in the account: the referenced ones plus unrelated ones (a Lambda role each) up to this count. */
  readonly accountRoles: number;
  readonly account: string;
}

const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
];

/**
 * Builds (C, R): R roles split 20 % service roles, 20 % Spot Fleet roles, the rest instance roles
 * (each behind its own profile); every role has its AWS managed policy, one customer-managed policy
 * from a shared pool of R/5, and one inline policy. Every other compute environment is SPOT.
 * Batch allows 50 compute environments per region, so C/50 regions are used (more than the 8 real
 * names repeat with a suffix).
 */
export const buildScenario = (
  c: number,
  r: number,
  accountRoles?: number,
  shape: { account?: string; regions?: number } = {},
): Scenario => {
  const account = shape.account ?? ACCOUNT;
  const serviceCount = Math.max(1, Math.round(r * 0.2));
  const spotCount = Math.max(1, Math.round(r * 0.2));
  const instanceCount = Math.max(1, r - serviceCount - spotCount);
  const policyPool = Math.max(1, Math.round(r / 5));
  const customerPolicies = Array.from(
    { length: policyPool },
    (_, i) => `arn:aws:iam::${account}:policy/team-policy-${i}`,
  );
  const roleDocs = new Map<string, { trustService: string; attached: string[]; inline: string[] }>();
  const add = (name: string, trustService: string, managed: string, i: number) =>
    roleDocs.set(name, {
      trustService,
      attached: [`arn:aws:iam::aws:policy/${managed}`, customerPolicies[i % policyPool] ?? ''],
      inline: ['extra'],
    });
  for (let i = 0; i < serviceCount; i++)
    add(`service-${i}`, 'batch.amazonaws.com', 'service-role/AWSBatchServiceRole', i);
  for (let i = 0; i < spotCount; i++)
    add(`spot-${i}`, 'spotfleet.amazonaws.com', 'service-role/AmazonEC2SpotFleetTaggingRole', i);
  const profiles = new Map<string, string>();
  for (let i = 0; i < instanceCount; i++) {
    add(`instance-${i}`, 'ec2.amazonaws.com', 'service-role/AmazonEC2ContainerServiceforEC2Role', i);
    profiles.set(`profile-${i}`, `instance-${i}`);
  }
  const regionCount = shape.regions ?? Math.max(1, Math.ceil(c / 50));
  const regions = Array.from({ length: regionCount }, (_, i) =>
    i < REGIONS.length ? (REGIONS[i] as string) : `${REGIONS[i % REGIONS.length]}${Math.floor(i / REGIONS.length)}`,
  );
  const ces = Array.from({ length: c }, (_, i) => ({
    region: regions[i % regionCount] as string,
    name: `ce-${i}`,
    serviceRole: `arn:aws:iam::${account}:role/service-${i % serviceCount}`,
    profile: `profile-${i % instanceCount}`,
    ...(i % 2 === 1 ? { spotRole: `arn:aws:iam::${account}:role/spot-${Math.floor(i / 2) % spotCount}` } : {}),
  }));
  const jobQueues: Scenario['jobQueues'] = [];
  for (const region of regions) {
    const inRegion = ces.filter((ce) => ce.region === region);
    for (let i = 0; i < inRegion.length; i += 3) {
      jobQueues.push({
        region,
        name: `queue-${region}-${i / 3}`,
        computeEnvironments: inRegion
          .slice(i, i + 3)
          .map((ce) => `arn:aws:batch:${region}:${account}:compute-environment/${ce.name}`),
      });
    }
  }
  return {
    computeEnvironments: c,
    roles: roleDocs.size,
    regions,
    ces,
    roleDocs,
    profiles,
    customerPolicies,
    jobQueues,
    accountRoles: Math.max(roleDocs.size, accountRoles ?? roleDocs.size),
    account,
  };
};

/** Simulation knobs. */
export interface SimOptions {
  /** IAM token bucket rate (calls/s) and burst; account-wide. */
  readonly iamTps: number;
  readonly iamBurst: number;
  /** Batch token bucket per region. */
  readonly batchTps: number;
  /** Per-call latency in ms. */
  readonly iamLatencyMs: number;
  readonly batchLatencyMs: number;
  /** A throttling storm: this fraction of IAM calls is throttled even when the bucket has tokens (seeded, repeatable). */
  readonly iamStormRate?: number;
}

class TokenBucket {
  private tokens: number;
  private last = performance.now();
  public constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  public take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const doc = (value: unknown) => encodeURIComponent(JSON.stringify(value));
const trust = (service: string) =>
  doc({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });

/** Counters the benchmark reports. */
export interface SimStats {
  attempts: Record<string, number>;
  throttled: number;
  answered: Record<string, number>;
  duplicateReads: number;
}

/** The simulated account behind a request handler the SDK clients share. */
export const createSimulatedAws = (scenario: Scenario, options: SimOptions) => {
  const iamBucket = new TokenBucket(options.iamTps, options.iamBurst);
  const batchBuckets = new Map<string, TokenBucket>();
  const stats: SimStats = { attempts: {}, throttled: 0, answered: {}, duplicateReads: 0 };
  // A small linear congruential generator: the same storm on every run.
  let seed = 42;
  const storm = (): boolean => {
    if (!options.iamStormRate) return false;
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648 < options.iamStormRate;
  };
  const seen = new Set<string>();
  const cesByRegion = new Map<string, Scenario['ces']>();
  for (const ce of scenario.ces) cesByRegion.set(ce.region, [...(cesByRegion.get(ce.region) ?? []), ce]);

  const roleXml = (name: string) => {
    const role = scenario.roleDocs.get(name);
    if (!role) return undefined;
    return `<Path>/</Path><RoleName>${xml(name)}</RoleName><RoleId>AROA${name.toUpperCase().replace(/-/g, '')}</RoleId><Arn>arn:aws:iam::${scenario.account}:role/${xml(name)}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>${trust(role.trustService)}</AssumeRolePolicyDocument>`;
  };

  const profileOf = new Map([...scenario.profiles].map(([profile, role]) => [role, profile]));
  const unrelated = Array.from({ length: scenario.accountRoles - scenario.roleDocs.size }, (_, i) => `lambda-${i}`);
  const accountItems: Array<{ kind: 'role' | 'policy'; name: string }> = [
    ...[...scenario.roleDocs.keys(), ...unrelated].map((name) => ({ kind: 'role' as const, name })),
    ...scenario.customerPolicies.map((name) => ({ kind: 'policy' as const, name })),
  ];
  const INLINE_DOC = doc({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }],
  });
  const POLICY_DOC = doc({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }],
  });
  /** One RoleDetailList member: what GetAccountAuthorizationDetails says of a role. */
  const roleDetailXml = (name: string) => {
    const role = scenario.roleDocs.get(name);
    const base = `<Path>/</Path><RoleName>${xml(name)}</RoleName><RoleId>AROA${name.toUpperCase().replace(/-/g, '')}</RoleId><Arn>arn:aws:iam::${scenario.account}:role/${xml(name)}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>${trust(role?.trustService ?? 'lambda.amazonaws.com')}</AssumeRolePolicyDocument>`;
    if (!role) return `<member>${base}<InstanceProfileList/><RolePolicyList/><AttachedManagedPolicies/></member>`;
    const profile = profileOf.get(name);
    const profiles = profile
      ? `<member><Path>/</Path><InstanceProfileName>${xml(profile)}</InstanceProfileName><InstanceProfileId>AIPA${profile.length}</InstanceProfileId><Arn>arn:aws:iam::${scenario.account}:instance-profile/${xml(profile)}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate><Roles/></member>`
      : '';
    const inline = role.inline
      .map((n) => `<member><PolicyName>${xml(n)}</PolicyName><PolicyDocument>${INLINE_DOC}</PolicyDocument></member>`)
      .join('');
    const attached = role.attached
      .map(
        (arn) =>
          `<member><PolicyName>${xml(arn.split('/').pop() ?? '')}</PolicyName><PolicyArn>${xml(arn)}</PolicyArn></member>`,
      )
      .join('');
    return `<member>${base}<InstanceProfileList>${profiles}</InstanceProfileList><RolePolicyList>${inline}</RolePolicyList><AttachedManagedPolicies>${attached}</AttachedManagedPolicies></member>`;
  };
  const policyDetailXml = (arn: string) =>
    `<member><PolicyName>${xml(arn.split('/').pop() ?? '')}</PolicyName><PolicyId>ANPA1</PolicyId><Arn>${xml(arn)}</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId><AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable><PolicyVersionList><member><Document>${POLICY_DOC}</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member>`;

  const iamAnswer = (params: URLSearchParams): { status: number; body: string } => {
    const action = params.get('Action') ?? '';
    const ok = (result: string) => ({
      status: 200,
      body: `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></${action}Response>`,
    });
    const missing = () => ({
      status: 404,
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>not found</Message></Error><RequestId>sim</RequestId></ErrorResponse>',
    });
    const roleName = params.get('RoleName') ?? '';
    switch (action) {
      case 'GetRole': {
        const role = roleXml(roleName);
        return role ? ok(`<Role>${role}</Role>`) : missing();
      }
      case 'ListAttachedRolePolicies': {
        const role = scenario.roleDocs.get(roleName);
        if (!role) return missing();
        const members = role.attached
          .map(
            (arn) =>
              `<member><PolicyName>${xml(arn.split('/').pop() ?? '')}</PolicyName><PolicyArn>${xml(arn)}</PolicyArn></member>`,
          )
          .join('');
        return ok(`<AttachedPolicies>${members}</AttachedPolicies><IsTruncated>false</IsTruncated>`);
      }
      case 'ListRolePolicies': {
        const role = scenario.roleDocs.get(roleName);
        if (!role) return missing();
        return ok(
          `<PolicyNames>${role.inline.map((n) => `<member>${xml(n)}</member>`).join('')}</PolicyNames><IsTruncated>false</IsTruncated>`,
        );
      }
      case 'GetRolePolicy':
        return ok(
          `<RoleName>${xml(roleName)}</RoleName><PolicyName>${xml(params.get('PolicyName') ?? '')}</PolicyName><PolicyDocument>${doc({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] })}</PolicyDocument>`,
        );
      case 'GetInstanceProfile': {
        const name = params.get('InstanceProfileName') ?? '';
        const roleOf = scenario.profiles.get(name);
        if (!roleOf) return missing();
        return ok(
          `<InstanceProfile><Path>/</Path><InstanceProfileName>${xml(name)}</InstanceProfileName><InstanceProfileId>AIPA${name.length}</InstanceProfileId><Arn>arn:aws:iam::${scenario.account}:instance-profile/${xml(name)}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate><Roles><member>${roleXml(roleOf)}</member></Roles></InstanceProfile>`,
        );
      }
      case 'GetPolicy': {
        const arn = params.get('PolicyArn') ?? '';
        return ok(
          `<Policy><PolicyName>${xml(arn.split('/').pop() ?? '')}</PolicyName><PolicyId>ANPA1</PolicyId><Arn>${xml(arn)}</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId><AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable></Policy>`,
        );
      }
      case 'GetPolicyVersion':
        return ok(
          `<PolicyVersion><Document>${doc({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }] })}</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></PolicyVersion>`,
        );
      case 'GetAccountSummary': {
        const entry = (key: string, value: number) => `<entry><key>${key}</key><value>${value}</value></entry>`;
        return ok(
          `<SummaryMap>${entry('Roles', scenario.accountRoles)}${entry('Policies', scenario.customerPolicies.length)}${entry('InstanceProfiles', scenario.profiles.size)}</SummaryMap>`,
        );
      }
      case 'GetAccountAuthorizationDetails': {
        // Pages of MaxItems entries (IAM's cap is 1000), roles first, then customer-managed policies.
        const start = Number(params.get('Marker') ?? '0');
        const size = Math.min(1000, Number(params.get('MaxItems') ?? '100'));
        const page = accountItems.slice(start, start + size);
        const next = start + size < accountItems.length ? `<Marker>${start + size}</Marker>` : '';
        return ok(
          `<RoleDetailList>${page
            .filter((i) => i.kind === 'role')
            .map((i) => roleDetailXml(i.name))
            .join('')}</RoleDetailList><Policies>${page
            .filter((i) => i.kind === 'policy')
            .map((i) => policyDetailXml(i.name))
            .join('')}</Policies><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${next}`,
        );
      }
      default:
        return {
          status: 400,
          body: `<ErrorResponse><Error><Code>InvalidAction</Code><Message>${xml(action)}</Message></Error></ErrorResponse>`,
        };
    }
  };

  const batchAnswer = (region: string, path: string, body: { maxResults?: number; nextToken?: string }) => {
    const size = Math.min(100, body.maxResults ?? 100);
    const start = body.nextToken ? Number(body.nextToken) : 0;
    if (path.endsWith('describejobdefinitions')) return { jobDefinitions: [] };
    if (path.endsWith('describejobqueues')) {
      const queues = scenario.jobQueues.filter((q) => q.region === region);
      const next = start + size < queues.length ? String(start + size) : undefined;
      return {
        jobQueues: queues.slice(start, start + size).map((q, i) => ({
          jobQueueName: q.name,
          jobQueueArn: `arn:aws:batch:${region}:${scenario.account}:job-queue/${q.name}`,
          state: 'ENABLED',
          priority: 1,
          computeEnvironmentOrder: q.computeEnvironments.map((ce, order) => ({
            order: order + i * 0,
            computeEnvironment: ce,
          })),
        })),
        ...(next ? { nextToken: next } : {}),
      };
    }
    const all = cesByRegion.get(region) ?? [];
    const page = all.slice(start, start + size).map((ce) => ({
      computeEnvironmentName: ce.name,
      computeEnvironmentArn: `arn:aws:batch:${region}:${scenario.account}:compute-environment/${ce.name}`,
      type: 'MANAGED',
      state: 'ENABLED',
      status: 'VALID',
      serviceRole: ce.serviceRole,
      computeResources: {
        type: ce.spotRole ? 'SPOT' : 'EC2',
        maxvCpus: 16,
        subnets: ['subnet-1'],
        instanceRole: ce.profile,
        ...(ce.spotRole ? { spotIamFleetRole: ce.spotRole } : {}),
      },
    }));
    const next = start + size < all.length ? String(start + size) : undefined;
    return { computeEnvironments: page, ...(next ? { nextToken: next } : {}) };
  };

  const respond = (status: number, body: string, headers: Record<string, string>): { response: HttpResponse } => ({
    response: {
      statusCode: status,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      body: Readable.from([Buffer.from(body)]),
    },
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const count = (bucket: Record<string, number>, key: string) => {
    bucket[key] = (bucket[key] ?? 0) + 1;
  };

  /** The SDK request handler. */
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      const host = request.hostname;
      const raw =
        typeof request.body === 'string'
          ? request.body
          : request.body instanceof Uint8Array
            ? new TextDecoder().decode(request.body)
            : '';
      if (host.startsWith('iam.') || host.startsWith('sts.')) {
        const params = new URLSearchParams(raw);
        const action = params.get('Action') ?? '?';
        const service = host.startsWith('iam.') ? 'iam' : 'sts';
        const op = `${service}:${action}`;
        count(stats.attempts, op);
        await sleep(options.iamLatencyMs);
        if (service === 'sts') {
          count(stats.answered, op);
          return respond(
            200,
            `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::${scenario.account}:assumed-role/auditor/bench</Arn><UserId>AROA:bench</UserId><Account>${scenario.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
            { 'content-type': 'text/xml' },
          );
        }
        if (!iamBucket.take() || storm()) {
          stats.throttled++;
          return respond(
            400,
            '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>sim</RequestId></ErrorResponse>',
            { 'content-type': 'text/xml' },
          );
        }
        const key = `${op}|${[...params.entries()]
          .filter(([k]) => !['Action', 'Version', 'MaxItems'].includes(k))
          .map(([k, v]) => `${k}=${v}`)
          .join('&')}`;
        if (seen.has(key)) stats.duplicateReads++;
        seen.add(key);
        count(stats.answered, op);
        const answer = iamAnswer(params);
        return respond(answer.status, answer.body, { 'content-type': 'text/xml' });
      }
      if (host.startsWith('batch.')) {
        const region = host.split('.')[1] ?? '';
        const op = request.path.endsWith('describejobqueues')
          ? 'batch:DescribeJobQueues'
          : request.path.endsWith('describejobdefinitions')
            ? 'batch:DescribeJobDefinitions'
            : 'batch:DescribeComputeEnvironments';
        count(stats.attempts, op);
        await sleep(options.batchLatencyMs);
        const bucket = batchBuckets.get(region) ?? new TokenBucket(options.batchTps, options.batchTps);
        batchBuckets.set(region, bucket);
        if (!bucket.take()) {
          stats.throttled++;
          return respond(429, JSON.stringify({ message: 'Too Many Requests' }), {
            'content-type': 'application/json',
            'x-amzn-errortype': 'TooManyRequestsException',
          });
        }
        count(stats.answered, op);
        return respond(200, JSON.stringify(batchAnswer(region, request.path, raw ? JSON.parse(raw) : {})), {
          'content-type': 'application/json',
        });
      }
      if (host.startsWith('events.')) {
        const region = host.split('.')[1] ?? '';
        const target = String(request.headers['x-amz-target'] ?? '');
        const op = `events:${target.split('.').pop()}`;
        count(stats.attempts, op);
        await sleep(options.batchLatencyMs);
        count(stats.answered, op);
        const body = raw ? (JSON.parse(raw) as { TargetArn?: string }) : {};
        const key = `${op}|${region}|${body.TargetArn ?? ''}`;
        if (seen.has(key)) stats.duplicateReads++;
        seen.add(key);
        return respond(
          200,
          JSON.stringify(op.endsWith('ListRuleNamesByTarget') ? { RuleNames: [] } : { Targets: [] }),
          {
            'content-type': 'application/x-amz-json-1.1',
          },
        );
      }
      return respond(404, 'unknown host', {});
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  return { handler, stats };
};

/**
 * The fewest calls the per-role strategy can make: Batch pages (compute environments, job queues, job
 * definitions) + one ListRuleNamesByTarget per queue + 1 STS + P + R·(3 + I) + 2·M managed policies (GetPolicy and
 * GetPolicyVersion, customer-managed and AWS managed alike).
 */
/** The roles and profiles the compute environments reference, and the managed policies of those roles. */
const referenced = (scenario: Scenario) => {
  const roles = new Set<string>();
  const profiles = new Set<string>();
  for (const ce of scenario.ces) {
    roles.add(ce.serviceRole.split('/').pop() ?? '');
    if (ce.spotRole) roles.add(ce.spotRole.split('/').pop() ?? '');
    profiles.add(ce.profile);
    roles.add(scenario.profiles.get(ce.profile) ?? '');
  }
  const customer = new Set<string>();
  const awsManaged = new Set<string>();
  for (const name of roles) {
    for (const arn of scenario.roleDocs.get(name)?.attached ?? [])
      (arn.includes(':aws:policy/') ? awsManaged : customer).add(arn);
  }
  return { roles, profiles, customer, awsManaged };
};

export const modelMinimum = (scenario: Scenario): number => {
  const pages = scenario.regions.reduce((sum, region) => {
    const n = scenario.ces.filter((ce) => ce.region === region).length;
    return sum + Math.max(1, Math.ceil(n / 100));
  }, 0);
  const { roles: referencedRoles, profiles: referencedProfiles, customer, awsManaged } = referenced(scenario);
  const inline = 1;
  const queuePages = scenario.regions.reduce(
    (sum, region) => sum + Math.max(1, Math.ceil(scenario.jobQueues.filter((q) => q.region === region).length / 100)),
    0,
  );
  const jobDefinitionPages = scenario.regions.length;
  const ruleLookups = scenario.jobQueues.length;
  // With SPOT compute environments, the two Spot service-linked roles are looked up (GetRole) too; the
  // simulated account has neither, and a missing role is confirmed by a second GetRole.
  const spotServiceLinkedRoles = scenario.ces.some((ce) => ce.spotRole) ? 4 : 0;
  return (
    spotServiceLinkedRoles +
    pages +
    queuePages +
    jobDefinitionPages +
    ruleLookups +
    1 +
    referencedProfiles.size +
    referencedRoles.size * (3 + inline) +
    2 * customer.size +
    2 * awsManaged.size
  );
};

/**
 * The fewest calls the bulk strategy can make: the same Batch and EventBridge calls, 1 STS, one
 * GetAccountAuthorizationDetails page per 1000 roles and customer-managed policies of the account, and 2·A for the AWS managed policies attached to the referenced roles
 * (the bulk answer leaves them out). The Spot service-linked roles are not in the simulated account:
 * each is confirmed missing by two GetRole calls.
 */
export const bulkModelMinimum = (scenario: Scenario): number => {
  const perRole = modelMinimum(scenario);
  const { roles: referencedRoles, profiles: referencedProfiles, customer } = referenced(scenario);
  // Per-role IAM calls the bulk answer replaces: profiles, role reads and customer-managed policy reads.
  const replaced = referencedProfiles.size + referencedRoles.size * 4 + 2 * customer.size;
  const pages = Math.max(1, Math.ceil((scenario.accountRoles + scenario.customerPolicies.length) / 1000));
  return perRole - replaced + pages;
};
