#!/usr/bin/env node
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('batch-iam-drift: dist/cli.mjs is missing; run `npm run build` first.\n');
  process.exit(2);
}
await import(cli.href);
