// npm test: runs every vitest project (unit, then integration against moto_server), then prints
// the plain "N passed, N failed" closing line that CI systems read. Without moto_server on PATH it
// runs the unit tests only and says so: the integration tests need a real AWS API emulator. Without
// chromium it leaves the HTML report's browser tests out, and says so too.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
rmSync(results, { force: true });
const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const hasMoto = onPath('moto_server');
const hasChromium = onPath('chromium') || onPath('chromium-browser');
const projects = [
  '--project',
  'unit',
  ...(hasMoto ? ['--project', 'integration'] : []),
  ...(hasChromium ? ['--project', 'browser'] : []),
];
if (!hasMoto) {
  console.error(
    "moto_server is not on PATH: the integration tests are skipped (install it with pip install 'moto[server]==5.2.1').",
  );
}
if (!hasChromium) {
  console.error(
    'chromium is not on PATH: the HTML report tests are skipped (install it with apt-get install chromium; CI does).',
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
    `\n${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}${hasMoto ? '' : ' (integration tests skipped: moto_server is not on PATH)'}${hasChromium ? '' : ' (HTML report tests skipped: chromium is not on PATH)'}`,
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
