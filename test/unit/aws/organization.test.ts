import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { enabledRegions } from '../../../src/aws/enabled-regions.js';
import { createOrganizationDirectory } from '../../../src/aws/organization.js';

const orgMock = mockClient(OrganizationsClient);
const ec2Mock = mockClient(EC2Client);

describe('createOrganizationDirectory', () => {
  beforeEach(() => orgMock.reset());

  it('lists every page and keeps only ACTIVE accounts, by State or by the older Status', async () => {
    orgMock
      .on(ListAccountsCommand)
      .resolvesOnce({
        Accounts: [
          { Id: '111111111111', Name: 'a', State: 'ACTIVE' },
          { Id: '222222222222', Name: 'b', State: 'SUSPENDED' },
        ],
        NextToken: 't',
      })
      .resolvesOnce({
        Accounts: [
          { Id: '333333333333', Name: 'c', Status: 'ACTIVE' },
          { Id: '444444444444', Name: 'd', State: 'PENDING_CLOSURE' },
        ],
      });
    const accounts = await createOrganizationDirectory(new OrganizationsClient({ region: 'us-east-1' })).activeAccounts(
      undefined,
    );
    expect(accounts).toEqual([
      { id: '111111111111', name: 'a' },
      { id: '333333333333', name: 'c' },
    ]);
    expect(orgMock).toHaveReceivedCommandTimes(ListAccountsCommand, 2);
  });

  it('walks an OU and its children, every page of each', async () => {
    orgMock.on(ListOrganizationalUnitsForParentCommand).resolves({ OrganizationalUnits: [] });
    orgMock.on(ListAccountsForParentCommand, { ParentId: 'ou-root-aaaaaaaa' }).resolves({
      Accounts: [{ Id: '111111111111', Name: 'a', State: 'ACTIVE' }],
    });
    orgMock
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-root-aaaaaaaa' })
      .resolvesOnce({ OrganizationalUnits: [{ Id: 'ou-root-bbbbbbbb' }], NextToken: 'n' })
      .resolvesOnce({ OrganizationalUnits: [{ Id: 'ou-root-cccccccc' }] });
    orgMock.on(ListAccountsForParentCommand, { ParentId: 'ou-root-bbbbbbbb' }).resolves({
      Accounts: [{ Id: '222222222222', Name: 'b', State: 'ACTIVE' }],
    });
    orgMock.on(ListAccountsForParentCommand, { ParentId: 'ou-root-cccccccc' }).resolves({
      Accounts: [{ Id: '333333333333', Name: 'c', State: 'SUSPENDED' }],
    });
    const accounts = await createOrganizationDirectory(new OrganizationsClient({ region: 'us-east-1' })).activeAccounts(
      'ou-root-aaaaaaaa',
    );
    expect(accounts.map((a) => a.id)).toEqual(['111111111111', '222222222222']);
    expect(orgMock).not.toHaveReceivedCommand(ListAccountsCommand);
  });

  it('takes an answer without its list for a broken answer, not an empty organisation', async () => {
    orgMock.on(ListAccountsCommand).resolves({});
    await expect(
      createOrganizationDirectory(new OrganizationsClient({ region: 'us-east-1' })).activeAccounts(undefined),
    ).rejects.toThrow('organizations:ListAccounts answered with an empty body');
  });
});

describe('enabledRegions', () => {
  beforeEach(() => ec2Mock.reset());

  it('keeps default and opted-in regions, sorted, and leaves the others out', async () => {
    ec2Mock.on(DescribeRegionsCommand).resolves({
      Regions: [
        { RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' },
        { RegionName: 'af-south-1', OptInStatus: 'opted-in' },
        { RegionName: 'ap-east-1', OptInStatus: 'not-opted-in' },
        { RegionName: 'eu-west-1' },
      ],
    });
    expect(await enabledRegions(new EC2Client({ region: 'us-east-1' }))).toEqual([
      'af-south-1',
      'eu-west-1',
      'us-east-1',
    ]);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeRegionsCommand, {});
  });
});
