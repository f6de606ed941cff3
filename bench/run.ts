// npm run bench [-- --full] [-- --json]: the audit's IAM cost through the real SDK clients against a
// simulated AWS (bench/sim.ts), for (compute environments, distinct roles) = (10, 5), (200, 50), (1000, 200),
// next to a naive sequential per-compute-environment strategy; and, in an account of 2000 roles, the
// per-role, bulk (GetAccountAuthorizationDetails) and auto strategies side by side. --json prints the
// rows as JSON instead of the Markdown table. Each run is a fresh process, so peak RSS is its own.
// Without --full, the naive strategy runs in real time only at (10, 5); at the larger sizes its calls are
// counted exactly in a fast run and its time estimated as calls / 10 per second (it is throttle-bound).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const full = process.argv.includes('--full');
const json = process.argv.includes('--json');
const sizes: Array<[number, number]> = [
  [10, 5],
  [200, 50],
  [1000, 200],
];

interface Run {
  computeEnvironments: number;
  roles: number;
  accountRoles: number;
  regions: number;
  strategy: string;
  mode: string;
  calls: number;
  byOperation: Record<string, number>;
  modelMinimum: number;
  duplicateReads: number;
  attempts: number;
  throttled: number;
  failed: number;
  wallMs: number;
  peakRssMb: number;
}

const run = (c: number, r: number, strategy: string, mode: string, accountRoles = 0): Run => {
  process.stderr.write(
    `bench: (${c}, ${r}${accountRoles ? `, ${accountRoles} in the account` : ''}) ${strategy} ${mode}...\n`,
  );
  const args = ['tsx', 'bench/scenario.ts', String(c), String(r), strategy, mode, '120', String(accountRoles)];
  const out = execFileSync('npx', args, {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Run;
};

const results: Run[] = [];
for (const [c, r] of sizes) {
  results.push(run(c, r, 'per-role', 'real'));
  results.push(run(c, r, 'naive', full || c <= 10 ? 'real' : 'count'));
}
// The same audit in an account ten times larger than what it audits, each strategy in the same run.
for (const strategy of ['per-role', 'bulk', 'auto']) results.push(run(1000, 200, strategy, 'real', 2000));
// A small audit in a large account: where per-role reads win, and auto must see it.
for (const strategy of ['per-role', 'bulk', 'auto']) results.push(run(10, 5, strategy, 'real', 5000));

if (json) {
  process.stdout.write(
    `${JSON.stringify(
      results.map((x) => ({
        strategy: x.strategy,
        ces: x.computeEnvironments,
        roles: x.roles,
        accountRoles: x.accountRoles,
        calls: x.calls,
        modelMinimum: x.modelMinimum,
        wallSeconds: x.mode === 'real' ? Math.round(x.wallMs / 100) / 10 : null,
        throttled: x.mode === 'real' ? x.throttled : null,
        failed: x.failed,
        peakRssMb: x.mode === 'real' ? x.peakRssMb : null,
      })),
      null,
      2,
    )}\n`,
  );
}

const seconds = (x: Run) =>
  x.mode === 'real' ? `${(x.wallMs / 1000).toFixed(1)}` : `~${(x.calls / 10).toFixed(0)} (est.)`;
const lines = [
  '| (CEs, roles) | roles in account | regions | strategy | API calls | model minimum | duplicate reads | wall s | throttled / attempts | failed | peak RSS MB |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (x) =>
      `| (${x.computeEnvironments}, ${x.roles}) | ${x.accountRoles} | ${x.regions} | ${x.strategy} | ${x.calls} | ${x.modelMinimum} | ${x.duplicateReads} | ${seconds(x)} | ${x.mode === 'real' ? `${x.throttled} / ${x.attempts}` : 'n/a'} | ${x.failed} | ${x.mode === 'real' ? x.peakRssMb : 'n/a'} |`,
  ),
  '',
  'API calls by operation (per-role strategy):',
  '',
  ...results
    .filter((x) => x.strategy === 'per-role')
    .map(
      (x) =>
        `- (${x.computeEnvironments}, ${x.roles}): ${Object.entries(x.byOperation)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    ),
];
if (!json) process.stdout.write(`${lines.join('\n')}\n`);
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
