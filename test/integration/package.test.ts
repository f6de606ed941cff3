import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedOneComputeEnvironment } from '../support/seed.js';

/** What `npm pack` puts in the tarball: the CLI bundle and what its users read, nothing else. */
const EXPECTED_FILES = [
  'LICENSE',
  'README.md',
  'bin/batch-iam-drift.mjs',
  'dist/cli.mjs',
  'docs/baseline.schema.json',
  'docs/ocsf-detection-finding.schema.json',
  'docs/organization-report.schema.json',
  'docs/report.schema.json',
  'infra/auditor-policy.json',
  'infra/member-role.yml',
  'infra/organization-caller-policy.json',
  'package.json',
];

let work: string;
let tarball: string;
let pack: { unpackedSize: number; files: { path: string }[] };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bid-pack-'));
  // npm pack runs prepack (generate and build) first, as it does before a publish.
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { encoding: 'utf8', stdio: 'pipe' });
  pack = JSON.parse(out.slice(out.indexOf('[')))[0];
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) ?? '');
}, 180_000);

describe('the npm package', () => {
  it('holds the CLI bundle, its docs schemas and IAM policies, no Lambda bundle, no source map, within 2 MB', () => {
    expect(pack.files.map((f) => f.path).sort()).toEqual(EXPECTED_FILES);
    expect(pack.unpackedSize).toBeLessThanOrEqual(2_000_000);
  });

  it('installs globally with no dependency, and runs --version and an audit', async () => {
    const prefix = join(work, 'global');
    const log = execFileSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    expect(log).toMatch(/added 1 package/);
    expect(readdirSync(join(prefix, 'lib', 'node_modules'))).toEqual(['batch-iam-drift']);
    const bin = join(prefix, 'bin', 'batch-iam-drift');
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' })).toMatch(/^\d+\.\d+\.\d+\n$/);

    await seedOneComputeEnvironment(process.env.AWS_ENDPOINT_URL ?? '');
    const report = JSON.parse(
      execFileSync(bin, ['audit', '--regions', 'us-east-1', '--format', 'json', '--quiet', '--fail-on', 'critical'], {
        encoding: 'utf8',
        env: process.env,
      }),
    );
    expect(report).toMatchObject({ complete: true, summary: { computeEnvironments: 1 } });
    expect(report.findings.map((f: { rule: string }) => f.rule)).toEqual(['service-role-not-slr']);
  }, 120_000);
});
