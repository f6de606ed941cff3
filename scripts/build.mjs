// Bundles the CLI (for Node.js 20 and later) and the Lambda handler (for the nodejs22.x runtime) into dist/.
import { build } from 'esbuild';

const common = {
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  minify: true,
  treeShaking: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  metafile: true,
  // Some CommonJS dependencies call require(); ESM bundles need it defined.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
  // The team baseline is bundled into the Lambda as text and parsed at run time.
  loader: { '.yaml': 'text' },
};

await Promise.all([
  build({ ...common, entryPoints: { cli: 'src/cli/bin.ts' }, target: 'node20' }),
  build({ ...common, entryPoints: { handler: 'src/lambda/main.ts' }, target: 'node22' }),
  build({ ...common, entryPoints: { organization: 'src/lambda/organization-main.ts' }, target: 'node22' }),
]);
