import {
  type Account,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import type { MemberAccount, OrganizationDirectory } from '../ports.js';
import { EmptyResponse } from './errors.js';

/** Organizations actions this adapter calls (from the management or a delegated-administrator account). */
export const ORGANIZATION_PERMISSIONS = [
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListOrganizationalUnitsForParent',
] as const;

/** An account is audited when ACTIVE: `State` in the current API, `Status` in the older one (moto sends only that). */
const active = (account: Account): boolean => (account.State ?? account.Status) === 'ACTIVE';

const toMember = (account: Account): MemberAccount => ({ id: account.Id ?? '', name: account.Name ?? '' });

/** Lists the organisation's accounts, every page; under an OU, that OU's accounts and its children's. */
export const createOrganizationDirectory = (client: OrganizationsClient): OrganizationDirectory => ({
  async activeAccounts(ou, signal) {
    const options = signal ? { abortSignal: signal } : {};
    const found: Account[] = [];
    if (!ou) {
      for await (const page of paginateListAccounts({ client }, {}, options)) {
        if (!page.Accounts) throw new EmptyResponse('organizations:ListAccounts');
        found.push(...page.Accounts);
      }
    } else {
      const parents = [ou];
      for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
        for await (const page of paginateListAccountsForParent({ client }, { ParentId: parent }, options)) {
          if (!page.Accounts) throw new EmptyResponse('organizations:ListAccountsForParent');
          found.push(...page.Accounts);
        }
        for await (const page of paginateListOrganizationalUnitsForParent({ client }, { ParentId: parent }, options)) {
          if (!page.OrganizationalUnits) throw new EmptyResponse('organizations:ListOrganizationalUnitsForParent');
          parents.push(...page.OrganizationalUnits.flatMap((u) => (u.Id ? [u.Id] : [])));
        }
      }
    }
    return found.filter(active).map(toMember);
  },
});
