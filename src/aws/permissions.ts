import { BASELINE_READER_PERMISSIONS } from './baseline-s3.js';
import { BATCH_INVENTORY_PERMISSIONS } from './batch-inventory.js';
import { ASSUME_ROLE_PERMISSIONS } from './credentials.js';
import { REGION_LISTER_PERMISSIONS } from './enabled-regions.js';
import { EVENT_TARGET_PERMISSIONS } from './event-targets.js';
import { STATE_STORE_PERMISSIONS } from './finding-state.js';
import { BULK_READER_PERMISSIONS } from './iam-bulk-reader.js';
import { IAM_READER_PERMISSIONS } from './iam-reader.js';
import { IDENTITY_PERMISSIONS } from './identity.js';
import { ORGANIZATION_PERMISSIONS } from './organization.js';
import { REPORT_STORE_PERMISSIONS, REPORT_WRITER_PERMISSIONS } from './report-store.js';
import { SECURITY_HUB_PERMISSIONS } from './security-hub.js';
import { SNS_PUBLISHER_PERMISSIONS } from './sns-publisher.js';

/** Every IAM action an audit calls: the union of what each adapter declares, sorted. */
export const AUDIT_PERMISSIONS: readonly string[] = [
  ...new Set<string>([
    ...IDENTITY_PERMISSIONS,
    ...BATCH_INVENTORY_PERMISSIONS,
    ...EVENT_TARGET_PERMISSIONS,
    ...IAM_READER_PERMISSIONS,
    ...BULK_READER_PERMISSIONS,
  ]),
].sort();

/**
 * What the scheduled Lambda calls: the audit's reads, publishing its alert, reading a baseline from
 * S3, the finding state, keeping reports, and importing into Security Hub.
 */
export const LAMBDA_PERMISSIONS: readonly string[] = [
  ...new Set<string>([
    ...AUDIT_PERMISSIONS,
    ...SNS_PUBLISHER_PERMISSIONS,
    ...BASELINE_READER_PERMISSIONS,
    ...STATE_STORE_PERMISSIONS,
    ...REPORT_WRITER_PERMISSIONS,
    ...SECURITY_HUB_PERMISSIONS,
  ]),
].sort();

/** What `audit --state-table` adds to the CLI's permissions, and what `findings` needs alone. */
export const CLI_STATE_PERMISSIONS: readonly string[] = [...STATE_STORE_PERMISSIONS].sort();

/** What the CLI calls in an audited account: the audit's reads, and listing the enabled regions for `--regions all`. */
export const CLI_PERMISSIONS: readonly string[] = [
  ...new Set<string>([...AUDIT_PERMISSIONS, ...REGION_LISTER_PERMISSIONS]),
].sort();

/** What an organisation run calls as the caller: listing the accounts, and entering each member account. */
export const ORGANIZATION_CALLER_PERMISSIONS: readonly string[] = [
  ...new Set<string>([...ORGANIZATION_PERMISSIONS, ...ASSUME_ROLE_PERMISSIONS]),
].sort();

/** The organisation state machine's first Task: listing the accounts. */
export const ORGANIZATION_LIST_PERMISSIONS: readonly string[] = [...ORGANIZATION_PERMISSIONS].sort();

/** The per-account Task: entering member accounts, auditing (its own account with its own role), storing reports, reading the baseline. */
export const ORGANIZATION_AUDIT_PERMISSIONS: readonly string[] = [
  ...new Set<string>([
    ...AUDIT_PERMISSIONS,
    ...ASSUME_ROLE_PERMISSIONS,
    ...BASELINE_READER_PERMISSIONS,
    ...REPORT_WRITER_PERMISSIONS,
  ]),
].sort();

/** The last Task: reading and storing reports, publishing the organisation alert. */
export const ORGANIZATION_AGGREGATE_PERMISSIONS: readonly string[] = [
  ...new Set<string>([...REPORT_STORE_PERMISSIONS, ...SNS_PUBLISHER_PERMISSIONS]),
].sort();
