// npm test: runs every vitest project (unit, then integration against moto_server), then prints
// the plain "N passed, N failed" closing line that CI systems read. Without moto_server on PATH it
// runs the unit tests only and says so: the integration tests need a real AWS API emulator.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
rmSync(results, { force: true });
const hasMoto = spawnSync('sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' }).status === 0;
const projects = hasMoto ? [] : ['--project', 'unit'];
if (!hasMoto) {
  console.error(
    "moto_server is not on PATH: running the unit tests only; the integration tests are skipped (install them with pip install 'moto[server]==5.2.1').",
  );
}
const run = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    ...projects,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
try {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(
    `\n${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}${hasMoto ? '' : ' (unit tests only: moto_server is not on PATH, integration tests skipped)'}`,
  );
  if (r.numTotalTests === 0) {
    console.error('no test ran');
    process.exit(1);
  }
} catch {
  console.error('vitest wrote no results');
  process.exit(run.status || 1);
}
process.exit(run.status ?? 1);
