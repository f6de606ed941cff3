// npm run bench:organization [-- ACCOUNTS REGIONS CES ROLES CONCURRENCY STRATEGY]: an organisation run
// in one process (runOrganization, as the CLI's --accounts does) against ACCOUNTS simulated accounts,
// each with its own IAM token bucket (10 calls/s, 60 ms a call) and Batch buckets (50 calls/s per
// region, 100 ms a call), each with CES compute environments over REGIONS regions and ROLES roles.
// Defaults: 200 accounts, 4 regions, 50 compute environments, 20 roles, 16 accounts at a time, auto
// IAM reads. Prints one JSON line.
import { setMaxListeners } from 'node:events';
import { BatchClient } from '@aws-sdk/client-batch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { runOrganization } from '../src/app/run-organization.js';
import { createBatchInventory } from '../src/aws/batch-inventory.js';
import { createEventTargetFinder } from '../src/aws/event-targets.js';
import { createIamReader, type IamReadStrategy } from '../src/aws/iam-bulk-reader.js';
import { createStsIdentity } from '../src/aws/identity.js';
import { AWS_DEFAULT_BASELINE } from '../src/domain/baseline.js';
import type { AuditPorts } from '../src/ports.js';
import { buildScenario, createSimulatedAws } from './sim.js';

const [accountCount = '200', regionCount = '4', ces = '50', roles = '20', concurrency = '16', strategy = 'auto'] =
  process.argv.slice(2);
const accounts = Array.from({ length: Number(accountCount) }, (_, i) => String(100_000_000_000 + i));
const sims = new Map(
  accounts.map((account) => {
    const scenario = buildScenario(Number(ces), Number(roles), undefined, { account, regions: Number(regionCount) });
    const sim = createSimulatedAws(scenario, {
      iamTps: 10,
      iamBurst: 10,
      batchTps: 50,
      iamLatencyMs: 60,
      batchLatencyMs: 100,
    });
    return [account, { scenario, sim }] as const;
  }),
);
const regions = sims.get(accounts[0] ?? '')?.scenario.regions ?? [];

/** The ports of one account: every client sends to that account's simulated AWS. */
const portsOf = (account: string): AuditPorts => {
  const entry = sims.get(account);
  if (!entry) throw new Error(`no simulated account ${account}`);
  const common = {
    region: 'us-east-1',
    requestHandler: entry.sim.handler,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  } as const;
  const retry = { retryMode: 'adaptive', maxAttempts: 8 } as const;
  return {
    identity: createStsIdentity(new STSClient(common)),
    batch: createBatchInventory((region) => new BatchClient({ ...common, ...retry, region })),
    events: createEventTargetFinder((region) => new EventBridgeClient({ ...common, ...retry, region })),
    iam: createIamReader(new IAMClient({ ...common, ...retry }), strategy as IamReadStrategy),
  };
};

const signal = new AbortController().signal;
setMaxListeners(0, signal);
const started = performance.now();
const report = await runOrganization(
  {
    caller: portsOf(accounts[0] ?? '').identity,
    directory: { activeAccounts: async () => accounts.map((id) => ({ id, name: id })) },
    portsFor: (account) => portsOf(account),
  },
  { accounts: 'all', regions, baseline: AWS_DEFAULT_BASELINE, concurrency: Number(concurrency), signal },
);
const wallMs = performance.now() - started;
const stats = [...sims.values()].map((s) => s.sim.stats);
const sum = (pick: (s: (typeof stats)[number]) => number) => stats.reduce((n, s) => n + pick(s), 0);
process.stdout.write(
  `${JSON.stringify({
    accounts: accounts.length,
    regions: regions.length,
    cesPerAccount: Number(ces),
    rolesPerAccount: Number(roles),
    concurrency: Number(concurrency),
    strategy,
    accountsAudited: report.accounts.length,
    accountErrors: report.errors.length,
    complete: report.complete,
    computeEnvironments: report.summary.computeEnvironments,
    findings: report.summary.findings,
    calls: sum((s) => Object.values(s.answered).reduce((a, b) => a + b, 0)),
    iamCalls: sum((s) => Object.entries(s.answered).reduce((a, [k, v]) => a + (k.startsWith('iam:') ? v : 0), 0)),
    throttled: sum((s) => s.throttled),
    duplicateReads: sum((s) => s.duplicateReads),
    wallSeconds: Math.round(wallMs / 100) / 10,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
