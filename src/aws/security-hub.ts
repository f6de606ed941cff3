import { BatchImportFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import pLimit from 'p-limit';
import { awsErrorCode, cleanMessage } from '../error-codes.js';
import type { AsffFinding, FindingsHub } from '../ports.js';

/** The one Security Hub action the importer calls. */
export const SECURITY_HUB_PERMISSIONS = ['securityhub:BatchImportFindings'] as const;

/** BatchImportFindings takes at most 100 findings per call. */
export const FINDINGS_PER_IMPORT = 100;

/** Imports into the account's hub in the client's region, three calls at a time (the API allows 10 TPS). */
export const createSecurityHubImporter = (client: SecurityHubClient): FindingsHub => ({
  async import(findings, signal) {
    const limit = pLimit(3);
    const failed: { id: string; code: string; message: string }[] = [];
    let imported = 0;
    const batches: AsffFinding[][] = [];
    for (let i = 0; i < findings.length; i += FINDINGS_PER_IMPORT)
      batches.push(findings.slice(i, i + FINDINGS_PER_IMPORT));
    await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          try {
            const out = await client.send(
              // The SDK's ASFF type is a deep structure; ours is built field by field in render/asff.ts.
              new BatchImportFindingsCommand({ Findings: batch as never }),
              signal ? { abortSignal: signal } : {},
            );
            imported += out.SuccessCount ?? 0;
            for (const f of out.FailedFindings ?? [])
              failed.push({
                id: f.Id ?? '',
                code: f.ErrorCode ?? 'Failed',
                message: cleanMessage(f.ErrorMessage ?? ''),
              });
          } catch (error) {
            const code = awsErrorCode(error as Error);
            const message = cleanMessage((error as Error).message ?? String(error));
            for (const f of batch) failed.push({ id: f.Id, code, message });
          }
        }),
      ),
    );
    return { imported, failed };
  },
});
