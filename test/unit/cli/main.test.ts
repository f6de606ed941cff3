import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { AlertPublisher } from '../../../src/aws/sns-publisher.js';
import { AUDIT_HELP, BASELINE_HELP, type CliDeps, colourWanted, runCli, USAGE } from '../../../src/cli/main.js';
import { RULE_IDS } from '../../../src/domain/finding.js';
import { ConfigError } from '../../../src/errors.js';
import type { AuditPorts } from '../../../src/ports.js';
import { type Alert, buildAlert } from '../../../src/render/alert.js';
import { CSV_COLUMNS, csvField } from '../../../src/render/csv.js';
import { ce, snapshotOf, withExtraInstancePolicy } from '../../support/domain.js';
import { fakePorts, NO_CREDENTIALS } from '../../support/fake-ports.js';
import { ocsfSchemaErrors, reportSchemaErrors } from '../../support/schema.js';
import { memoryStateStore } from '../../support/state.js';

const capture = (isTTY = false) => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: (env: Record<string, string> = { AWS_REGION: 'us-east-1' }) => ({
      stdout: { write: (t: string) => out.push(t), isTTY },
      stderr: { write: (t: string) => err.push(t) },
      env,
    }),
  };
};

const sent: Array<{ topicArn: string; alert: Alert }> = [];
const recordingPublisher: AlertPublisher = {
  publish: async (topicArn, alert) => {
    sent.push({ topicArn, alert });
    return 'm-1';
  },
};
const ports = (
  snapshot = withExtraInstancePolicy('AmazonEC2ReadOnlyAccess'),
  publisher = recordingPublisher,
): CliDeps => ({
  createPorts: () => fakePorts({ 'us-east-1': [ce('a')] }, snapshot),
  createPublisher: () => publisher,
  createDirectory: () => ({ activeAccounts: async () => [] }),
  credentials: NO_CREDENTIALS,
  createStateStore: () => {
    throw new Error('no state table in this test');
  },
});

describe('runCli', () => {
  it('exits 2 with one line for an unexpected error, and prints the stack only with --debug', async () => {
    // An output stream that fails while the report is written (a closed pipe, say).
    const run = async (argv: string[]) => {
      const err: string[] = [];
      const io = {
        stdout: {
          write: () => {
            throw new TypeError('stdout is gone\n    at line two');
          },
        },
        stderr: { write: (t: string) => err.push(t) },
        env: { AWS_REGION: 'us-east-1' },
      };
      return { code: await runCli(argv, io, ports()), err: err.join('') };
    };
    const plain = await run(['audit', '--quiet']);
    expect(plain).toEqual({
      code: 2,
      err: 'batch-iam-drift: unexpected error: TypeError: stdout is gone (run again with --debug for the stack trace)\n',
    });
    const debug = await run(['audit', '--quiet', '--debug']);
    expect(debug.code).toBe(2);
    expect(debug.err).toMatch(
      /^batch-iam-drift: unexpected error: TypeError: stdout is gone\nTypeError: stdout is gone/,
    );
  });

  it.each([
    [['audit', '--request-timeout', 'soon'], /--request-timeout must be a positive number of seconds, not "soon"/],
    [['audit', '--connect-timeout', '0'], /--connect-timeout must be a positive number of seconds/],
  ])('rejects bad timeouts: %j', async (argv, message) => {
    const c = capture();
    expect(await runCli([...argv, '--regions', 'us-east-1'], c.io(), ports())).toBe(2);
    expect(c.err.join('')).toMatch(message);
  });

  it.each([
    [
      ['audit', '--bogus'],
      /^batch-iam-drift: Unknown option --bogus\. Run batch-iam-drift --help for the options\.\n$/,
    ],
    [['audit', '--region', 'eu-west-1'], /Unknown option --region\. Did you mean --regions\?/],
    [['audit', '--fail-on', 'hgih'], /--fail-on must be one of critical, high, medium, low, info, not "hgih"/],
    [['audit', '--regions'], /^batch-iam-drift: --regions needs a value\./],
    [['audit', '--regions', 'us-east-1,mars-1'], /"mars-1" is not an AWS region name/],
    [
      ['audit', '--format', 'xml'],
      /--format takes text, json, html, csv, ocsf \(or several, comma-separated\), not "xml"/,
    ],
    [['audit', '--fail-on', 'severe'], /--fail-on must be one of critical, high, medium, low, info/],
    [['scan'], /Unknown command "scan"/],
    [['baseline'], /"baseline" takes "capture" or "validate", not nothing/],
    [['baseline', 'validate'], /baseline validate takes one file/],
    [['baseline', 'capture', '--format', 'json'], /--format is not an option of baseline capture/],
    [['audit', '--baseline', '/nonexistent/baseline.yaml'], /Cannot read the baseline \/nonexistent\/baseline.yaml/],
    [[], /Missing command/],
    [['audit', '--regions', 'all', '--regions', 'us-east-1'], /--regions all means every enabled region/],
    [['audit', '--role-arn', 'arn:aws:iam::1:user/x'], /--role-arn "arn:aws:iam::1:user\/x" is not an IAM role ARN/],
    [['audit', '--external-id', 'x'], /--external-id goes with --role-arn or --accounts/],
    [['audit', '--ou', 'ou-abcd-12345678'], /--ou goes with --accounts/],
    [['audit', '--accounts', '1234'], /--accounts: "1234" is not an AWS account id/],
    [['audit', '--accounts', '111111111111', '--ou', 'ou-abcd-12345678'], /--ou goes with --accounts all/],
    [['audit', '--accounts', 'all', '--ou', 'finance'], /--ou "finance" is not an organisational unit id/],
    [['audit', '--accounts', 'all', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 64/],
    [
      ['audit', '--accounts', 'all', '--role-arn', 'arn:aws:iam::111111111111:role/a'],
      /--role-arn audits one account; with --accounts use --role-name/,
    ],
    [['audit', '--accounts', 'all', '--role-name', 'bad name'], /--role-name "bad name" is not an IAM role name/],
  ])('rejects %j with exit 2 and a message a user can act on', async (argv, message) => {
    const c = capture();
    expect(await runCli(argv, c.io(), ports())).toBe(2);
    expect(c.err.join('')).toMatch(message);
    expect(c.out).toEqual([]);
  });

  it("adds up repeated --regions, and takes a profile's region when none is given", async () => {
    const regionsAsked: string[] = [];
    const deps: CliDeps = {
      ...ports(),
      createPorts: () => {
        const base = fakePorts(
          { 'us-east-1': [ce('a')], 'eu-west-1': [ce('b', { region: 'eu-west-1' })] },
          withExtraInstancePolicy('AmazonEC2ReadOnlyAccess'),
        );
        return {
          ...base,
          batch: {
            ...base.batch,
            listComputeEnvironments: async (region, signal) => {
              regionsAsked.push(region);
              return base.batch.listComputeEnvironments(region, signal);
            },
          },
        };
      },
      credentials: { ...NO_CREDENTIALS, profileRegion: async (name) => (name === 'ops' ? 'eu-west-1' : undefined) },
    };
    const c = capture();
    await runCli(['audit', '--quiet', '--regions', 'us-east-1', '--regions', 'eu-west-1,us-east-1'], c.io({}), deps);
    expect(regionsAsked).toEqual(['us-east-1', 'eu-west-1']);
    regionsAsked.length = 0;
    await runCli(['audit', '--quiet', '--profile', 'ops'], c.io({}), deps);
    expect(regionsAsked).toEqual(['eu-west-1']);
    const none = capture();
    expect(await runCli(['audit', '--quiet'], none.io({ AWS_PROFILE: 'nowhere' }), deps)).toBe(2);
    expect(none.err.join('')).toMatch(/No region given, and profile nowhere names none/);
  });

  it('asks for a region when none is given or set', async () => {
    const c = capture();
    expect(await runCli(['audit'], c.io({}), ports())).toBe(2);
    expect(c.err.join('')).toMatch(/No region given: pass --regions/);
  });

  it('exits 2 with the adapter message when credentials are unusable', async () => {
    const c = capture();
    const broken: CliDeps = {
      ...ports(),
      createPorts: (): AuditPorts => ({
        ...fakePorts({}, withExtraInstancePolicy('AmazonEC2ReadOnlyAccess')),
        identity: {
          whoAmI: async () => {
            throw new ConfigError('No AWS credentials found. Set AWS_PROFILE.');
          },
        },
      }),
    };
    expect(await runCli(['audit'], c.io(), broken)).toBe(2);
    expect(c.err.join('')).toBe('batch-iam-drift: No AWS credentials found. Set AWS_PROFILE.\n');
  });

  it("prints each command's help with examples", async () => {
    for (const [argv, text] of [
      [['audit', '--help'], AUDIT_HELP],
      [['baseline', '--help'], BASELINE_HELP],
      [['baseline', 'capture', '--help'], BASELINE_HELP],
    ] as const) {
      const c = capture();
      expect(await runCli([...argv], c.io(), ports())).toBe(0);
      expect(c.out.join('')).toBe(text);
    }
    expect(AUDIT_HELP).toMatch(/Examples:\n {2}batch-iam-drift audit --regions/);
  });

  it('lists only the findings at or above --severity, without changing the exit code', async () => {
    const all = capture();
    const code = await runCli(['audit', '--fail-on', 'low'], all.io(), ports());
    const some = capture();
    expect(await runCli(['audit', '--fail-on', 'low', '--severity', 'HIGH'], some.io(), ports())).toBe(code);
    expect(all.out.join('')).toMatch(/LOW \(1\)/);
    expect(some.out.join('')).not.toMatch(/LOW \(1\)/);
    expect(some.out.join('')).toMatch(/\d+ findings? below high (is|are) listed in the JSON report only/);
  });

  it('refuses an --output it could not write before reading anything from AWS', async () => {
    let created = 0;
    const deps: CliDeps = {
      ...ports(),
      createPorts: (...args) => {
        created++;
        return ports().createPorts(...args);
      },
    };
    const c = capture();
    expect(await runCli(['audit', '--output', '/nonexistent/dir/report.json'], c.io(), deps)).toBe(2);
    expect(c.err.join('')).toMatch(
      /Cannot write \/nonexistent\/dir\/report\.json: its directory \/nonexistent\/dir does not exist/,
    );
    expect(created).toBe(0);
  });

  it('prints help and the version', async () => {
    const c = capture();
    expect(await runCli(['--help'], c.io(), ports())).toBe(0);
    expect(c.out.join('')).toBe(USAGE);
    const v = capture();
    expect(await runCli(['--version'], v.io(), ports())).toBe(0);
    expect(v.out.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it.each([
    ['medium', 0],
    ['low', 1],
    ['LOW', 1],
    ['Medium', 0],
  ])('with --fail-on %s exits %i for a low finding (severities in any case)', async (failOn, code) => {
    const c = capture();
    expect(await runCli(['audit', '--fail-on', failOn], c.io(), ports())).toBe(code);
    expect(c.out.join('')).toMatch(/LOW \(1\)/);
  });

  it('exits 3 when the audit is incomplete, even with findings', async () => {
    const snapshot = snapshotOf(
      {
        AWSBatchServiceRole: {
          status: 'error',
          error: {
            operation: 'iam:GetRole',
            resource: { type: 'role', name: 'AWSBatchServiceRole' },
            code: 'AccessDenied',
            message: 'denied',
          },
        },
      },
      { ecsInstanceRole: { status: 'missing' } },
    );
    const c = capture();
    expect(await runCli(['audit'], c.io(), ports(snapshot))).toBe(3);
    const text = c.out.join('');
    expect(text).toMatch(/AUDIT INCOMPLETE: 1 read failed/);
    expect(text).toMatch(/iam:GetRole role AWSBatchServiceRole: AccessDenied: denied/);
    expect(text).not.toMatch(/No drift found/);
  });

  it('writes schema-valid JSON and reports progress on stderr', async () => {
    const c = capture();
    expect(await runCli(['audit', '--format', 'json', '--fail-on', 'low'], c.io(), ports())).toBe(1);
    const report = JSON.parse(c.out.join(''));
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.findings[0].rule).toBe('managed-policy-unexpected');
    expect(c.err.join('')).toMatch(
      /us-east-1: 1 compute environment, 0 job queues, 0 job definitions\n[\s\S]*us-east-1: 0 EventBridge targets\n/,
    );
  });

  it('writes the report to --output and stays quiet with --quiet', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bid-')), 'report.json');
    const c = capture();
    expect(await runCli(['audit', '--format', 'json', '--output', file, '--quiet'], c.io(), ports())).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).summary.findings).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err).toEqual([]);
  });

  it('colours text only on a terminal, and never when NO_COLOR is set', async () => {
    const tty = capture(true);
    await runCli(['audit'], tty.io(), ports());
    expect(tty.out.join('')).toContain('\u001b[');
    const noColour = capture(true);
    await runCli(['audit'], noColour.io({ AWS_REGION: 'us-east-1', NO_COLOR: '1' }), ports());
    expect(noColour.out.join('')).not.toContain('\u001b[');
    const piped = capture(false);
    await runCli(['audit'], piped.io(), ports());
    expect(piped.out.join('')).not.toContain('\u001b[');
  });

  it('publishes exactly the alert the Lambda builds with --publish', async () => {
    // Prepare
    sent.length = 0;
    const topic = 'arn:aws:sns:eu-west-1:123456789012:alerts';
    const c = capture();
    // Act
    const code = await runCli(['audit', '--format', 'json', '--fail-on', 'low', '--publish', topic], c.io(), ports());
    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(c.out.join(''));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.topicArn).toBe(topic);
    expect(sent[0]?.alert).toEqual(buildAlert(report, { minSeverity: 'low' }));
    expect(c.err.join('')).toMatch(/Alert published to arn:aws:sns:eu-west-1:123456789012:alerts \(message m-1\)/);
  });

  it('rejects a --publish value that is not a topic ARN, and exits 2 when the publish fails', async () => {
    const bad = capture();
    expect(await runCli(['audit', '--publish', 'alerts'], bad.io(), ports())).toBe(2);
    expect(bad.err.join('')).toMatch(/--publish "alerts" is not an SNS topic ARN/);
    const failing: AlertPublisher = {
      publish: async () => Promise.reject(new Error('AuthorizationError: not allowed')),
    };
    const c = capture();
    const topic = 'arn:aws:sns:us-east-1:123456789012:alerts';
    expect(
      await runCli(
        ['audit', '--publish', topic],
        c.io(),
        ports(withExtraInstancePolicy('AmazonEC2ReadOnlyAccess'), failing),
      ),
    ).toBe(2);
    expect(c.err.join('')).toMatch(
      /could not publish to arn:aws:sns:us-east-1:123456789012:alerts: AuthorizationError/,
    );
  });
});

describe('runCli with a state table', () => {
  const withState = (
    store: ReturnType<typeof memoryStateStore>,
    snapshot = withExtraInstancePolicy('AdministratorAccess'),
  ): CliDeps => ({
    ...ports(snapshot),
    createStateStore: ({ table }) => {
      expect(table).toBe('batch-iam-drift-findings');
      return store;
    },
  });
  const argv = ['audit', '--quiet', '--state-table', 'batch-iam-drift-findings'];

  it('marks findings new on the first run and ongoing on the next, and lists the table with findings', async () => {
    const store = memoryStateStore();
    const first = capture();
    expect(await runCli(argv, first.io(), withState(store))).toBe(1);
    expect(first.out.join('')).toContain('2 new, 0 ongoing, 0 resolved');
    expect(first.out.join('')).toMatch(
      /\[dangerous-permission\][^\n]*\n {4}status: {4}new, first seen \d{4}-\d{2}-\d{2}/,
    );
    const second = capture();
    expect(await runCli(argv, second.io(), withState(store))).toBe(1);
    expect(second.out.join('')).toContain('0 new, 2 ongoing, 0 resolved');
    // The drift is fixed: the next run resolves it.
    const third = capture();
    expect(await runCli(argv, third.io(), withState(store, withExtraInstancePolicy('AmazonEC2ReadOnlyAccess')))).toBe(
      0,
    );
    expect(third.out.join('')).toContain('FIXED SINCE THE LAST RUN');

    const listed = capture();
    const code = await runCli(
      ['findings', '--state-table', 'batch-iam-drift-findings', '--status', 'resolved', '--format', 'json'],
      listed.io(),
      withState(store),
    );
    expect(code).toBe(0);
    const out = JSON.parse(listed.out.join(''));
    expect(out.account).toBe('123456789012');
    expect(out.findings.map((f: { rule: string; status: string }) => [f.rule, f.status])).toEqual([
      ['dangerous-permission', 'resolved'],
    ]);
    const text = capture();
    await runCli(
      ['findings', '--state-table', 'batch-iam-drift-findings', '--since', '2999-01-01'],
      text.io(),
      withState(store),
    );
    expect(text.out.join('')).toBe('0 findings in dynamodb:findings (account 123456789012)\n');
  });

  it('exits 3 and says so when the state cannot be read', async () => {
    const out = capture();
    expect(await runCli(argv, out.io(), withState(memoryStateStore({ failLoad: true })))).toBe(3);
    expect(out.out.join('')).toContain('finding history unavailable (the state could not be read)');
  });

  it.each([
    [['findings'], /findings needs --state-table NAME/],
    [
      ['findings', '--state-table', 'tbl', '--status', 'fixed'],
      /--status must be open, resolved or waived, not "fixed"/,
    ],
    [['findings', '--state-table', 'tbl', '--since', 'yesterday'], /--since must be a date \(YYYY-MM-DD\)/],
    [['audit', '--state-table', 'x'], /--state-table "x" is not a DynamoDB table name/],
    [['audit', '--state-table', 'tbl', '--accounts', 'all'], /--state-table keeps one account's findings/],
    [['findings', '--state-table', 'tbl', '--fail-on', 'high'], /--fail-on is not an option of findings/],
  ])('rejects %j', async (args, message) => {
    const out = capture();
    expect(await runCli(args, out.io(), ports())).toBe(2);
    expect(out.err.join('')).toMatch(message);
  });
});

describe('runCli report formats', () => {
  const hostile = () => withExtraInstancePolicy('AdministratorAccess');

  it('writes json, html, csv and ocsf into --output-dir in one run', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bid-formats-')), 'out');
    const out = capture();
    const code = await runCli(
      ['audit', '--quiet', '--format', 'json,html,csv,ocsf', '--output-dir', dir],
      out.io(),
      ports(hostile()),
    );
    expect(code).toBe(1);
    expect(out.out.join('')).toBe('');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(reportSchemaErrors(report)).toEqual([]);

    // CSV: RFC 4180 quoting that a CSV parser reads back field for field, one row per finding.
    const rows = parse(readFileSync(join(dir, 'report.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(report.findings.length);
    expect(Object.keys(rows[0] ?? {})).toEqual([...CSV_COLUMNS]);
    for (const [i, f] of report.findings.entries()) {
      expect(rows[i]).toMatchObject({
        account: report.account,
        severity: f.severity,
        rule: f.rule,
        title: f.title,
        resource_arn: f.resource.arn,
        expected: f.expected,
        actual: f.actual,
        remediation: f.remediation,
        compute_environments: f.computeEnvironments.join(' '),
        id: f.id,
      });
    }

    // OCSF: Detection Findings with the fields docs/ocsf-detection-finding.schema.json documents.
    const ocsf = JSON.parse(readFileSync(join(dir, 'report.ocsf.json'), 'utf8'));
    expect(ocsfSchemaErrors(ocsf)).toEqual([]);
    expect(ocsf).toHaveLength(report.findings.length);
    expect(ocsf[0]).toMatchObject({
      class_uid: 2004,
      type_uid: 2004 * 100 + ocsf[0].activity_id,
      severity_id: 5,
      severity: 'Critical',
      finding_info: {
        uid: `batch-iam-drift-${report.account}-${report.findings[0].id}`,
        title: report.findings[0].title,
      },
      cloud: { provider: 'AWS', account: { uid: report.account } },
    });

    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    // Self-contained: no external script, style sheet or image (the browser test also sees no request).
    expect(/<script[^>]+src=|<link[^>]|<img[^>]+src="?https?:/i.test(html)).toBe(false);
    expect(html.includes('id="report-data"')).toBe(true);
  });

  it('quotes CSV fields as RFC 4180 says, and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"\nthen')).toBe('"say ""hi""\nthen"');
    expect(csvField('=HYPERLINK("http://evil")')).toBe('"\'=HYPERLINK(""http://evil"")"');
    expect(csvField('@role')).toBe("'@role");
  });

  it.each([
    [
      ['audit', '--format', 'json,html'],
      /--format json,html writes 2 files: name their directory with --output-dir DIR/,
    ],
    [
      ['audit', '--format', 'pdf'],
      /--format takes text, json, html, csv, ocsf \(or several, comma-separated\), not "pdf"/,
    ],
    [
      ['audit', '--format', 'json', '--output', 'a.json', '--output-dir', 'x'],
      /--output names one file, --output-dir a directory/,
    ],
  ])('rejects %j', async (args, message) => {
    const out = capture();
    expect(await runCli(args, out.io(), ports())).toBe(2);
    expect(out.err.join('')).toMatch(message);
  });
});

describe('runCli --list-rules and colour', () => {
  it('lists every rule the code reports, in the order docs/rules.md describes them', async () => {
    const out = capture();
    expect(await runCli(['--list-rules', '--format', 'json'], out.io(), ports())).toBe(0);
    const rules = JSON.parse(out.out.join('')) as { id: string; severities: string; summary: string }[];
    expect(rules.map((r) => r.id).sort()).toEqual([...RULE_IDS].sort());
    expect(rules[0]).toEqual({
      id: 'role-missing',
      severities: 'high',
      summary: 'A role a compute environment references does not exist (IAM answers `NoSuchEntity`).',
    });
    const text = capture();
    await runCli(['--list-rules'], text.io(), ports());
    expect(text.out.join('')).toContain(
      'trust-principal-unexpected (critical, high, medium or info)\n  The trust policy',
    );
  });

  it.each([
    [{ isTTY: true, env: {} }, true],
    [{ isTTY: true, env: { NO_COLOR: '1' } }, false],
    [{ isTTY: false, env: {} }, false],
    [{ isTTY: false, env: { FORCE_COLOR: '1' } }, true],
    [{ isTTY: false, env: { FORCE_COLOR: '0' } }, false],
    [{ isTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' } }, false],
  ])('colours output for %j: %s', ({ isTTY, env }, expected) => {
    expect(colourWanted({ stdout: { write: () => true, isTTY }, env })).toBe(expected);
  });
});
