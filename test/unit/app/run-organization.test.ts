import { describe, expect, it } from 'vitest';
import { runOrganization } from '../../../src/app/run-organization.js';
import { AWS_DEFAULT_BASELINE } from '../../../src/domain/baseline.js';
import { organizationReport, unauditedReport } from '../../../src/domain/report.js';
import { ConfigError } from '../../../src/errors.js';
import type { AuditPorts } from '../../../src/ports.js';
import { renderOrganizationText } from '../../../src/render/text.js';
import { ce, withExtraInstancePolicy } from '../../support/domain.js';
import { fakePorts } from '../../support/fake-ports.js';
import { organizationSchemaErrors } from '../../support/schema.js';

const CALLER = '123456789012';
const [A, B, C] = ['111111111111', '222222222222', '333333333333'];
const NOW = () => new Date('2026-11-30T02:00:00Z');

/** Ports that answer as `account`, with one compute environment and an instance role carrying an extra policy. */
const accountPorts = (account: string, onRead?: () => Promise<void>): AuditPorts => {
  const ports = fakePorts({ 'us-east-1': [ce('a')] }, withExtraInstancePolicy('AmazonEC2ReadOnlyAccess'));
  return {
    ...ports,
    identity: { whoAmI: async () => ({ account, partition: 'aws', arn: `arn:aws:sts::${account}:assumed-role/r/s` }) },
    iam: {
      read: async (request, signal) => {
        await onRead?.();
        return ports.iam.read(request, signal);
      },
    },
  };
};

const deniedPorts = (): AuditPorts => ({
  ...accountPorts(C),
  identity: {
    whoAmI: async () => {
      throw new ConfigError('Could not establish the AWS identity (AccessDenied): not authorized', {
        cause: Object.assign(new Error('not authorized'), { name: 'AccessDenied' }),
      });
    },
  },
});

describe('runOrganization', () => {
  it('audits every account once, bounded, the caller with its own ports and members through their role', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
    };
    const asked: [string, string | undefined][] = [];
    const report = await runOrganization(
      {
        caller: accountPorts(CALLER).identity,
        directory: { activeAccounts: async () => [A, B, C, CALLER].map((id) => ({ id, name: id })) },
        portsFor: (account, roleArn) => {
          asked.push([account, roleArn]);
          return accountPorts(account, slow);
        },
      },
      {
        accounts: 'all',
        regions: ['us-east-1'],
        baseline: AWS_DEFAULT_BASELINE,
        concurrency: 2,
        roleName: 'audit',
        now: NOW,
      },
    );
    expect(peak).toBe(2);
    expect(asked.sort()).toEqual(
      [
        [A, `arn:aws:iam::${A}:role/audit`],
        [CALLER, undefined],
        [B, `arn:aws:iam::${B}:role/audit`],
        [C, `arn:aws:iam::${C}:role/audit`],
      ].sort(),
    );
    expect(report.accounts.map((r) => r.account)).toEqual([A, CALLER, B, C].sort());
    expect(report.complete).toBe(true);
    expect(report.summary.accounts).toBe(4);
    expect(report.summary.findings).toBe(report.accounts.reduce((n, r) => n + r.summary.findings, 0));
    expect(organizationSchemaErrors(JSON.parse(JSON.stringify(report)))).toEqual([]);
  });

  it('records an account it cannot enter, or that answers as another account, and audits the rest', async () => {
    const report = await runOrganization(
      {
        caller: accountPorts(CALLER).identity,
        directory: { activeAccounts: async () => [] },
        portsFor: (account) =>
          account === C ? deniedPorts() : account === B ? accountPorts(A) : accountPorts(account),
      },
      { accounts: [A, B, C], regions: ['us-east-1'], baseline: AWS_DEFAULT_BASELINE, now: NOW },
    );
    expect(report.accounts.map((r) => r.account)).toEqual([A]);
    expect(report.errors).toEqual([
      {
        account: B,
        role: `arn:aws:iam::${B}:role/batch-iam-drift-audit`,
        operation: 'sts:AssumeRole',
        code: 'ConfigError',
        message: `entering ${B} gave credentials for account ${A}`,
      },
      {
        account: C,
        role: `arn:aws:iam::${C}:role/batch-iam-drift-audit`,
        operation: 'sts:AssumeRole',
        code: 'AccessDenied',
        message: 'Could not establish the AWS identity (AccessDenied): not authorized',
      },
    ]);
    expect(report.complete).toBe(false);
    const text = renderOrganizationText(report);
    expect(text).toContain('RUN INCOMPLETE: 2 accounts not audited, 0 audited incompletely');
    expect(text).toContain(`== account ${A} ==`);
  });

  it('leaves excluded accounts out, and refuses a baseline made for one account', async () => {
    const ports = {
      caller: accountPorts(CALLER).identity,
      directory: { activeAccounts: async () => [] },
      portsFor: (account: string) => accountPorts(account),
    };
    const report = await runOrganization(ports, {
      accounts: [A, B, A],
      exclude: [B],
      regions: ['us-east-1'],
      baseline: AWS_DEFAULT_BASELINE,
      now: NOW,
    });
    expect(report.accounts.map((r) => r.account)).toEqual([A]);
    await expect(
      runOrganization(ports, {
        accounts: [A],
        regions: ['us-east-1'],
        baseline: { ...AWS_DEFAULT_BASELINE, account: A },
      }),
    ).rejects.toThrow('an organisation run needs a baseline without "account"');
    await expect(
      runOrganization(ports, { accounts: [A], exclude: [A], regions: ['us-east-1'], baseline: AWS_DEFAULT_BASELINE }),
    ).rejects.toThrow('No account to audit');
  });

  it('says where to run from when the organisation cannot be listed', async () => {
    await expect(
      runOrganization(
        {
          caller: accountPorts(CALLER).identity,
          directory: {
            activeAccounts: async () => {
              throw Object.assign(new Error('You are not authorized'), { name: 'AccessDeniedException' });
            },
          },
          portsFor: (account) => accountPorts(account),
        },
        { accounts: 'all', ou: 'ou-abcd-12345678', regions: ['us-east-1'], baseline: AWS_DEFAULT_BASELINE },
      ),
    ).rejects.toThrow(
      "Could not list the organisation's accounts (AccessDeniedException): You are not authorized. Run from the management account or a delegated administrator, with organizations:ListAccounts, ListAccountsForParent and ListOrganizationalUnitsForParent.",
    );
  });
});

describe('organizationReport', () => {
  it('is incomplete when one account report is, even with no account error', () => {
    const tool = { name: 'batch-iam-drift', version: '1' };
    const at = new Date('2026-11-30T02:00:00Z');
    const unread = unauditedReport(
      tool,
      A,
      ['us-east-1'],
      {
        operation: 'iam:GetRole',
        resource: { type: 'role', name: 'r' },
        code: 'Throttling',
        message: 'Rate exceeded',
      },
      at,
    );
    const report = organizationReport(tool, at.toISOString(), at.toISOString(), [unread], []);
    expect(report.errors).toEqual([]);
    expect(report.complete).toBe(false);
    expect(report.summary.bySeverity).toEqual({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });
  });
});
