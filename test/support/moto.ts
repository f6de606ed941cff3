import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A moto server this process started, on a loopback port. */
export interface Moto {
  readonly endpoint: string;
  readonly pid: number;
  /** POST /moto-api/reset: forget every resource (AWS managed policies are loaded again). */
  reset(): Promise<void>;
  /** Stops the server by its pid and waits for it to exit. */
  stop(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/**
 * Starts `moto_server` on a free 127.0.0.1 port with the real AWS managed policies loaded
 * (MOTO_IAM_LOAD_MANAGED_POLICIES=true) and waits until it answers.
 */
export const startMoto = async (): Promise<Moto> => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(`cannot start moto_server (${error.message}); install it with: pip install 'moto[server]==5.2.1'`),
      ),
    );
    child.once('exit', (code) => reject(new Error(`moto_server exited with ${code}: ${stderr}`)));
  });
  const ready = (async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${endpoint}/moto-api/`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`moto_server did not answer on ${endpoint} within 60 s: ${stderr}`);
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  spawnError.catch(() => undefined);
  return {
    endpoint,
    pid: child.pid ?? -1,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
    },
    async stop() {
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
};
