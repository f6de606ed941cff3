import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSecurityHubImporter } from '../../../src/aws/security-hub.js';

const hub = mockClient(SecurityHubClient);
const findings = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `batch-iam-drift/123456789012/${i}` }));

describe('createSecurityHubImporter', () => {
  beforeEach(() => hub.reset());

  it('imports at most 100 findings per call and reports each refused finding', async () => {
    hub
      .on(BatchImportFindingsCommand)
      .resolvesOnce({
        SuccessCount: 99,
        FailedCount: 1,
        FailedFindings: [
          { Id: 'batch-iam-drift/123456789012/7', ErrorCode: 'InvalidInput', ErrorMessage: 'Title too long' },
        ],
      })
      .resolvesOnce({ SuccessCount: 100, FailedCount: 0 })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const out = await createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' })).import(findings(205));
    expect(hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings?.length)).toEqual([
      100, 100, 5,
    ]);
    expect(out.imported).toBe(199);
    expect(out.failed).toHaveLength(6);
    expect(out.failed[0]).toEqual({
      id: 'batch-iam-drift/123456789012/7',
      code: 'InvalidInput',
      message: 'Title too long',
    });
    expect(out.failed.slice(1).map((f) => [f.id, f.code])).toEqual(
      [200, 201, 202, 203, 204].map((i) => [`batch-iam-drift/123456789012/${i}`, 'ThrottlingException']),
    );
  });
});
