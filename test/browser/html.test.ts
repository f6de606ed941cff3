import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/domain/finding.js';
import type { Severity } from '../../src/domain/model.js';
import { renderHtml } from '../../src/render/html.js';
import { reportOf } from '../support/report.js';

/** Where the screenshots go: kept by CI as the test's output. */
const OUTPUT = 'test-output';
const chromium = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
  encoding: 'utf8',
}).trim();

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** 200 roles over 50 compute environments in two regions, one finding each; the first is hostile text. */
const finding = (i: number): Finding => {
  const region = i % 2 === 0 ? 'us-east-1' : 'eu-west-1';
  const name = i === 0 ? '<img src=x onerror=alert(1)></script><script>alert(2)</script>' : `role-${i}`;
  return {
    id: i.toString(16).padStart(16, '0'),
    rule: i % 3 === 0 ? 'dangerous-permission' : 'managed-policy-unexpected',
    severity: SEVERITIES[i % 5] as Severity,
    title: `instance-role ${name} has something it should not`,
    resource: { type: 'role', arn: `arn:aws:iam::123456789012:role/${name}`, name },
    roleKind: i % 4 === 0 ? 'job-role' : 'instance-role',
    subject: 'arn:aws:iam::aws:policy/AmazonS3FullAccess',
    computeEnvironments: [`arn:aws:batch:${region}:123456789012:compute-environment/ce-${i % 50}`],
    jobQueues: [`arn:aws:batch:${region}:123456789012:job-queue/q-${i % 25}`],
    jobDefinitions: i % 4 === 0 ? [`arn:aws:batch:${region}:123456789012:job-definition/jd-${i}:1`] : [],
    eventRules: [],
    related: [],
    expected: 'no grant beyond what the role kind needs',
    actual: 'AmazonS3FullAccess is attached',
    remediation: `aws iam detach-role-policy --role-name role-${i} --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess`,
  };
};

let browser: Browser;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  const file = join(process.cwd(), OUTPUT, 'report.html');
  const report = reportOf(
    Array.from({ length: 200 }, (_, i) => finding(i)),
    { regions: ['us-east-1', 'eu-west-1'] },
  );
  writeFileSync(file, renderHtml({ ...report, summary: { ...report.summary, computeEnvironments: 50, roles: 200 } }));
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${(e as Error).message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    requests.push(r.url());
    void r.continue();
  });
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const shown = () => page.$eval('#shown', (e) => e.textContent);
const visibleCards = () =>
  page.$$eval('article.finding', (cards) => cards.filter((c) => !c.hasAttribute('hidden')).length);

describe('the HTML report in headless Chromium', () => {
  it('loads from a file with no console error, no network request and no script from the data', async () => {
    expect(problems).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    expect(await shown()).toBe('200 of 200 findings shown');
    // The hostile role name is shown as text, not run.
    const title = await page.$eval('article.finding[data-id="0000000000000000"] h3', (e) => e.textContent);
    expect(title).toContain('<img src=x onerror=alert(1)></script><script>alert(2)</script>');
  });

  it('summarises by severity and draws the blast-radius graph, 50 compute environments and 200 roles', async () => {
    const tiles = await page.$$eval('#summary .tile', (ts) => ts.map((t) => t.textContent));
    expect(tiles).toEqual(['40 critical', '40 high', '40 medium', '40 low', '40 info']);
    const canvases = await page.$$eval('#graph canvas', (cs) => cs.length);
    expect(canvases).toBeGreaterThan(0);
    // 50 compute environments, 50 job queues (25 names in each region), 50 job definitions, 200 roles, 200 findings.
    expect(await page.$eval('body', (b) => b.getAttribute('data-graph-nodes'))).toBe('550');
    // Labels are drawn at 10 px: a zoom of at least 1 keeps them at 10 px or more on screen.
    expect(Number(await page.$eval('body', (b) => b.getAttribute('data-graph-zoom')))).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(OUTPUT, 'html-report.png'), fullPage: false });
  });

  it('filters by severity, region, role kind and text', async () => {
    await page.click('#sev-critical');
    expect(await shown()).toBe('160 of 200 findings shown');
    expect(await visibleCards()).toBe(160);
    await page.select('#filter-region', 'eu-west-1');
    // Odd-numbered findings are in eu-west-1; of those, 20 are critical (i % 5 = 0).
    expect(await shown()).toBe('80 of 200 findings shown');
    await page.select('#filter-kind', 'job-role');
    // Job roles are i % 4 = 0, all even, so none is in eu-west-1.
    expect(await shown()).toBe('0 of 200 findings shown');
    await page.select('#filter-region', '');
    await page.click('#sev-critical');
    expect(await shown()).toBe('50 of 200 findings shown');
    await page.select('#filter-kind', '');
    await page.type('#filter-text', 'role-17 has');
    expect(await shown()).toBe('1 of 200 findings shown');
    await page.screenshot({ path: join(OUTPUT, 'html-report-filtered.png') });
    expect(problems).toEqual([]);
  });
});
