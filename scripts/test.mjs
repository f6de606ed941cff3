// npm test: runs every vitest project (unit, then integration against moto_server), then prints
// the plain "N passed, N failed" closing line that CI systems read.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
rmSync(results, { force: true });
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
try {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  if (r.numTotalTests === 0) {
    console.error('no test ran');
    process.exit(1);
  }
} catch {
  console.error('vitest wrote no results');
  process.exit(run.status || 1);
}
process.exit(run.status ?? 1);
