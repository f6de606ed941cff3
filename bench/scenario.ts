// One benchmark run in a fresh process (so peak RSS is this run's alone); prints one JSON line.
// Usage: tsx bench/scenario.ts C R per-role|bulk|auto|naive real|count|storm [deadline seconds] [account roles]
//   per-role, bulk, auto: the IAM read strategy (--iam-reads); naive: one compute environment at a time.
//   account roles: roles in the account besides the referenced ones count towards it (default: none).
//   real:  10 IAM calls/s (burst 10), 60 ms per IAM call, 50 Batch calls/s per region, 100 ms per Batch call.
//   count: no latency and no throttle: the same calls, counted fast (wall time is then meaningless).
//   storm: as real, and half of all IAM calls throttled besides; the audit runs under a deadline (the
//          Lambda's: its signal aborts the reads) and reports what it read, marked incomplete.
import { setMaxListeners } from 'node:events';
import { BatchClient } from '@aws-sdk/client-batch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { runAudit } from '../src/app/run-audit.js';
import { createBatchInventory } from '../src/aws/batch-inventory.js';
import { createEventTargetFinder } from '../src/aws/event-targets.js';
import { createIamReader } from '../src/aws/iam-bulk-reader.js';
import { createPerRoleIamReader } from '../src/aws/iam-reader.js';
import { createStsIdentity } from '../src/aws/identity.js';
import { AWS_DEFAULT_BASELINE } from '../src/domain/baseline.js';
import { entityName } from '../src/domain/references.js';
import { buildScenario, bulkModelMinimum, createSimulatedAws, modelMinimum } from './sim.js';

const [c = '10', r = '5', strategy = 'per-role', mode = 'real', deadline = '120', accountRoles = '0'] =
  process.argv.slice(2);
const real = mode === 'real' || mode === 'storm';
const scenario = buildScenario(Number(c), Number(r), Number(accountRoles));
const sim = createSimulatedAws(
  scenario,
  real
    ? {
        iamTps: 10,
        iamBurst: 10,
        batchTps: 50,
        iamLatencyMs: 60,
        batchLatencyMs: 100,
        ...(mode === 'storm' ? { iamStormRate: 0.5 } : {}),
      }
    : { iamTps: 1e9, iamBurst: 1e9, batchTps: 1e9, iamLatencyMs: 0, batchLatencyMs: 0 },
);
const common = {
  region: 'us-east-1',
  requestHandler: sim.handler,
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
} as const;
const retry = { retryMode: 'adaptive', maxAttempts: 8 } as const;
const iam = new IAMClient({ ...common, ...retry });
const batchFor = (region: string) => new BatchClient({ ...common, ...retry, region });
const identity = createStsIdentity(new STSClient(common));
const inventory = createBatchInventory(batchFor);

/** The deadline's signal; every request in flight listens to it (more than Node's default 10 listeners). */
const deadlineSignal = (seconds: number): AbortSignal => {
  const signal = AbortSignal.timeout(seconds * 1000);
  setMaxListeners(0, signal);
  return signal;
};

let failed = 0;
let findings = 0;
let complete: boolean | undefined;
const errorCodes: Record<string, number> = {};
const started = performance.now();
if (strategy === 'per-role' || strategy === 'bulk' || strategy === 'auto') {
  const report = await runAudit(
    {
      identity,
      batch: inventory,
      events: createEventTargetFinder((region) => new EventBridgeClient({ ...common, ...retry, region })),
      iam: createIamReader(iam, strategy),
    },
    {
      regions: scenario.regions,
      baseline: AWS_DEFAULT_BASELINE,
      ...(mode === 'storm' ? { signal: deadlineSignal(Number(deadline)) } : {}),
    },
  );
  failed = report.errors.length;
  findings = report.findings.length;
  complete = report.complete;
  for (const e of report.errors) errorCodes[e.code] = (errorCodes[e.code] ?? 0) + 1;
} else {
  // Naive: one compute environment at a time, each reading its own roles afresh, one call in flight.
  await identity.whoAmI();
  for (const region of scenario.regions) {
    for (const ce of await inventory.listComputeEnvironments(region)) {
      const reader = createPerRoleIamReader(iam, { concurrency: 1 });
      const roleNames = [ce.serviceRole, ce.spotIamFleetRole].filter((v): v is string => Boolean(v)).map(entityName);
      const snapshot = await reader.read({ roleNames, instanceProfileNames: ce.instanceRole ? [ce.instanceRole] : [] });
      failed += [...snapshot.roles.values(), ...snapshot.instanceProfiles.values()].filter(
        (x) => x.status === 'error',
      ).length;
    }
  }
}
const wallMs = performance.now() - started;
const calls = Object.values(sim.stats.answered).reduce((a, b) => a + b, 0);
process.stdout.write(
  `${JSON.stringify({
    computeEnvironments: scenario.computeEnvironments,
    roles: scenario.roles,
    regions: scenario.regions.length,
    strategy,
    mode,
    calls,
    byOperation: sim.stats.answered,
    accountRoles: scenario.accountRoles,
    // auto asks GetAccountSummary first, then reads the way its cost model (not this simulator) chose.
    modelMinimum:
      strategy === 'bulk'
        ? bulkModelMinimum(scenario)
        : strategy === 'auto'
          ? 1 +
            (sim.stats.answered['iam:GetAccountAuthorizationDetails']
              ? bulkModelMinimum(scenario)
              : modelMinimum(scenario))
          : modelMinimum(scenario),
    duplicateReads: sim.stats.duplicateReads,
    attempts: Object.values(sim.stats.attempts).reduce((a, b) => a + b, 0),
    throttled: sim.stats.throttled,
    failed,
    findings,
    ...(complete === undefined ? {} : { complete }),
    ...(mode === 'storm' ? { deadlineSeconds: Number(deadline), errorCodes } : {}),
    wallMs: Math.round(wallMs),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
