import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchClient } from '@aws-sdk/client-batch';
import { afterEach, describe, expect, it } from 'vitest';
import { untilAborted } from '../../../src/aws/abort.js';
import { createBatchInventory } from '../../../src/aws/batch-inventory.js';

// A local Batch endpoint: the first page of compute environments answers at once with a next token,
// the second never answers. Only the audit's signal can end the listing before the request timeout.
const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const slowBatch = async () => {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      if (requests === 1) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ computeEnvironments: [], nextToken: 'page-2' }));
      }
    });
  });
  server.on('connection', (socket) => servers.push({ close: () => socket.destroy() }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
};

describe('paginated listings and the audit deadline', () => {
  it('stop a pending page when the signal aborts, instead of waiting out the request timeout', async () => {
    // Prepare: a 60 s request timeout, so only the signal can end the pending second page.
    const batch = await slowBatch();
    const inventory = createBatchInventory(
      (region) =>
        new BatchClient({
          region,
          endpoint: batch.endpoint,
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          requestHandler: { requestTimeout: 60_000 },
        }),
    );
    // Act
    const listing = inventory.listComputeEnvironments('us-east-1', AbortSignal.timeout(300));
    // Assess
    await expect(listing).rejects.toMatchObject({ name: expect.stringMatching(/Abort|Timeout/) });
    expect(batch.requests()).toBe(2);
  }, 5_000);
});

describe('untilAborted', () => {
  it('settles with the signal reason when the work outlives the deadline, and with the work otherwise', async () => {
    const controller = new AbortController();
    const never = new Promise<string>(() => undefined);
    const pending = untilAborted(never, controller.signal);
    controller.abort(
      Object.assign(new Error('stopped reading 20 s before the Lambda timeout'), { name: 'DeadlineError' }),
    );
    await expect(pending).rejects.toMatchObject({ name: 'DeadlineError' });
    await expect(untilAborted(Promise.resolve('read'), new AbortController().signal)).resolves.toBe('read');
    await expect(untilAborted(Promise.resolve('read'), undefined)).resolves.toBe('read');
  });
});
