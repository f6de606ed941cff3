// npm run bench:cold-start: the Lambda bundle's size, and the time to import it in a fresh Node.js
// process (median of 15), as a local stand-in for the Lambda init phase. Builds dist/ first. Then the
// action catalog's cost on first use (parsing its JSON text, indexing every service), also in fresh
// processes: the bundle carries it as a string and parses it only when an audit needs it.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

execFileSync('node', ['scripts/build.mjs']);
const file = 'dist/handler.mjs';
const bytes = statSync(file).size;
const gzip = gzipSync(readFileSync(file)).length;

const probe = `
const t0 = performance.now();
await import(${JSON.stringify(new URL(`../${file}`, import.meta.url).href)});
process.stdout.write(String(performance.now() - t0));
`;
const runs = 15;
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
    env: {
      PATH: process.env.PATH ?? '',
      TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    encoding: 'utf8',
  });
  times.push(Number(out));
}
times.sort((a, b) => a - b);
const median = times[Math.floor(runs / 2)] ?? 0;
const p90 = times[Math.floor(runs * 0.9)] ?? 0;

const catalogProbe = `
import { actionCatalog } from './src/domain/catalog.ts';
const t0 = performance.now();
const catalog = actionCatalog();
catalog.get('iam:PassRole');
const t1 = performance.now();
catalog.all();
process.stdout.write(JSON.stringify({ firstUse: t1 - t0, everyService: performance.now() - t0 }));
`;
const catalogRuns: { firstUse: number; everyService: number }[] = [];
for (let i = 0; i < 5; i++) {
  const out = execFileSync('npx', ['tsx', '--input-type=module', '-e', catalogProbe], { encoding: 'utf8' });
  catalogRuns.push(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
}
const med = (values: number[]) =>
  Math.round((values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0) * 10) / 10;
process.stdout.write(
  `${JSON.stringify({ bundle: file, bytes, gzipBytes: gzip, importRuns: runs, importMedianMs: Math.round(median * 10) / 10, importP90Ms: Math.round(p90 * 10) / 10, catalogFirstUseMedianMs: med(catalogRuns.map((r) => r.firstUse)), catalogAllServicesMedianMs: med(catalogRuns.map((r) => r.everyService)), node: process.version })}\n`,
);
