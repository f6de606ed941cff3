import { BASELINE_READER_PERMISSIONS } from './baseline-s3.js';
import { BATCH_INVENTORY_PERMISSIONS } from './batch-inventory.js';
import { EVENT_TARGET_PERMISSIONS } from './event-targets.js';
import { IAM_READER_PERMISSIONS } from './iam-reader.js';
import { IDENTITY_PERMISSIONS } from './identity.js';
import { SNS_PUBLISHER_PERMISSIONS } from './sns-publisher.js';

/** Every IAM action an audit calls: the union of what each adapter declares, sorted. */
export const AUDIT_PERMISSIONS: readonly string[] = [
  ...new Set<string>([
    ...IDENTITY_PERMISSIONS,
    ...BATCH_INVENTORY_PERMISSIONS,
    ...EVENT_TARGET_PERMISSIONS,
    ...IAM_READER_PERMISSIONS,
  ]),
].sort();

/** What the scheduled Lambda calls: the audit's reads, publishing its alert, and reading a baseline from S3. */
export const LAMBDA_PERMISSIONS: readonly string[] = [
  ...new Set<string>([...AUDIT_PERMISSIONS, ...SNS_PUBLISHER_PERMISSIONS, ...BASELINE_READER_PERMISSIONS]),
].sort();
