import {
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OrganizationReport } from '../../src/domain/report.js';
import { cli } from '../support/cli.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { MEMBER_ROLE as ROLE, seedOrganization } from '../support/organization.js';
import { organizationSchemaErrors, reportSchemaErrors } from '../support/schema.js';
import { ACCOUNT } from '../support/seed.js';

const REGION = 'us-east-1';

let moto: string;
let proxy: FaultProxy;
const members: string[] = [];
let organizations: OrganizationsClient;

beforeAll(async () => {
  moto = process.env.AWS_ENDPOINT_URL ?? '';
  proxy = await startFaultProxy(moto);
});
afterAll(async () => {
  process.env.AWS_ENDPOINT_URL = moto;
  await proxy.close();
});

/** Runs the CLI through the proxy, which denies AssumeRole into the account that has no member role. */
const auditOrganization = async (...extra: string[]) => {
  const missing = members[2];
  if (!missing) throw new Error('the organisation was not seeded');
  proxy.setRules([{ match: ['Action=AssumeRole', missing], fault: 'deny' }]);
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  try {
    const result = await cli('audit', '--format', 'json', '--quiet', '--regions', REGION, ...extra);
    const json = !extra.includes('text');
    return {
      code: result.code,
      out: result.out,
      report: (json ? JSON.parse(result.out) : undefined) as OrganizationReport,
    };
  } finally {
    process.env.AWS_ENDPOINT_URL = moto;
  }
};

describe('an organisation run against moto', () => {
  beforeEach(async () => {
    process.env.AWS_ENDPOINT_URL = moto;
    proxy.setRules([]);
    const seeded = await seedOrganization(moto);
    organizations = seeded.organizations;
    members.length = 0;
    members.push(seeded.clean, seeded.drifted, seeded.noMemberRole);
  });

  it('audits every ACTIVE account, reports the one it cannot enter, and keeps each account report as it is', async () => {
    const [clean, drifted, missing] = members as [string, string, string];
    const { code, report } = await auditOrganization('--accounts', 'all');
    expect(organizationSchemaErrors(report)).toEqual([]);
    expect(code).toBe(3);
    expect(report.kind).toBe('organization');
    expect(report.complete).toBe(false);
    // The management account itself is audited with the caller's own credentials.
    expect(report.accounts.map((r) => r.account)).toEqual([ACCOUNT, clean, drifted].sort());
    for (const account of report.accounts) expect(reportSchemaErrors(account)).toEqual([]);
    expect(report.errors).toEqual([
      {
        account: missing,
        role: `arn:aws:iam::${missing}:role/${ROLE}`,
        operation: 'sts:AssumeRole',
        code: 'AccessDenied',
        message: expect.stringContaining('not authorized'),
      },
    ]);
    const byAccount = new Map(report.accounts.map((r) => [r.account, r]));
    expect(byAccount.get(clean)?.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(byAccount.get(drifted)?.findings.map((f) => [f.rule, f.resource.name, f.severity])).toContainEqual([
      'dangerous-permission',
      'ecsInstanceRole',
      'critical',
    ]);
    expect(byAccount.get(ACCOUNT)?.warnings?.map((w) => w.code)).toEqual(['NothingAudited']);
    expect(report.summary).toMatchObject({ accounts: 3, computeEnvironments: 2 });
    // AdministratorAccess on the drifted account's instance role is the organisation's one critical.
    expect(report.summary.bySeverity.critical).toBe(1);
    expect(byAccount.get(drifted)?.summary.bySeverity.critical).toBe(1);
    // The text output groups by account and lists the account it could not enter.
    const text = await auditOrganization('--accounts', 'all', '--format', 'text');
    expect(text.code).toBe(3);
    expect(text.out).toContain('ACCOUNTS NOT AUDITED (1)');
    expect(text.out).toContain(`${missing} via arn:aws:iam::${missing}:role/${ROLE}: sts:AssumeRole AccessDenied`);
    for (const account of [clean, drifted]) expect(text.out).toContain(`== account ${account} ==`);
  });

  it('audits a list of accounts less the excluded ones, and exits 1 on findings when every account was entered', async () => {
    const [clean, drifted] = members as [string, string, string];
    const { code, report } = await auditOrganization(
      '--accounts',
      `${clean},${drifted},${ACCOUNT}`,
      '--exclude-accounts',
      ACCOUNT,
    );
    expect(report.errors).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.accounts.map((r) => r.account)).toEqual([clean, drifted].sort());
    expect(code).toBe(1);
  });

  it('limits --accounts all to an organisational unit and its children', async () => {
    const [clean, drifted] = members as [string, string, string];
    const root = (await organizations.send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? '';
    const ou = await organizations.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'batch' }));
    const child = await organizations.send(
      new CreateOrganizationalUnitCommand({ ParentId: ou.OrganizationalUnit?.Id ?? '', Name: 'genomics' }),
    );
    await organizations.send(
      new MoveAccountCommand({
        AccountId: clean,
        SourceParentId: root,
        DestinationParentId: ou.OrganizationalUnit?.Id ?? '',
      }),
    );
    await organizations.send(
      new MoveAccountCommand({
        AccountId: drifted,
        SourceParentId: root,
        DestinationParentId: child.OrganizationalUnit?.Id ?? '',
      }),
    );
    const { report } = await auditOrganization('--accounts', 'all', '--ou', ou.OrganizationalUnit?.Id ?? '');
    expect(report.accounts.map((r) => r.account)).toEqual([clean, drifted].sort());
  });

  it('audits the account of --role-arn, and of every enabled region with --regions all', async () => {
    const drifted = members[1] ?? '';
    const { code, out } = await cli(
      'audit',
      '--format',
      'json',
      '--quiet',
      '--regions',
      'all',
      '--role-arn',
      `arn:aws:iam::${drifted}:role/${ROLE}`,
    );
    const report = JSON.parse(out);
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.account).toBe(drifted);
    expect(report.regions).toContain('us-east-1');
    expect(report.regions.length).toBeGreaterThan(10);
    expect(report.summary.computeEnvironments).toBe(1);
    expect(code).toBe(1);
  });
});

describe('CLI credentials', () => {
  it('says a profile is unknown, naming it', async () => {
    const { code, err } = await cli('audit', '--quiet', '--regions', REGION, '--profile', 'no-such-profile');
    expect(code).toBe(2);
    expect(err).toContain('Could not load credentials of profile no-such-profile');
  });
});
