// Bundles the CLI (and, when present, the Lambda handler) with esbuild into dist/.
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

const entryPoints = { cli: 'src/cli/bin.ts' };
if (existsSync('src/lambda/main.ts')) entryPoints.handler = 'src/lambda/main.ts';

await build({
  entryPoints,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  treeShaking: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  metafile: true,
  // Some CommonJS dependencies call require(); ESM bundles need it defined.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
