import { createHash } from 'node:crypto';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import schema from '../../docs/baseline.schema.json' with { type: 'json' };
import type { BaselineOverlay, RoleKindBaseline, RoleOverride, Waiver } from '../domain/baseline.js';
import type { RoleKind } from '../domain/model.js';
import { normalisePolicy, type PolicyDocument } from '../domain/policy.js';
import { ConfigError } from '../errors.js';

/** One thing wrong with a baseline file, located. */
export interface BaselineProblem {
  readonly line: number;
  readonly column: number;
  /** Where in the document, e.g. `roles[2].match.arn`. */
  readonly path: string;
  readonly message: string;
}

/** The baseline cannot be used; it lists every problem. The audit refuses to start (exit 2). */
export class BaselineError extends ConfigError {
  public override readonly name = 'BaselineError';
  public constructor(
    public readonly source: string,
    public readonly problems: readonly BaselineProblem[],
  ) {
    super(
      `${source} is not a valid baseline (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .map((p) => `  ${source}:${p.line}:${p.column} ${p.path || '(top)'}: ${p.message}`)
        .join('\n')}`,
    );
  }
}

/** A parsed team baseline, ready to lay over the built-in defaults. */
export interface ParsedBaseline extends BaselineOverlay {
  /** The account the baseline is for, when it says. */
  readonly account?: string;
}

// ajv-formats is CommonJS with a default export; its shape differs between bundlers.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => void;

let validator: ReturnType<Ajv2020['compile']> | undefined;
const validate = (data: unknown) => {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  return validator(data) ? [] : (validator.errors ?? []);
};

type Segment = string | number;

const pathText = (segments: readonly Segment[]): string =>
  segments.reduce<string>(
    (text, s) =>
      typeof s === 'number'
        ? `${text}[${s}]`
        : /^[A-Za-z_][\w-]*$/.test(s)
          ? text
            ? `${text}.${s}`
            : s
          : `${text}["${s}"]`,
    '',
  );

const segmentsOf = (pointer: string): Segment[] =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** The line and column of the deepest node that exists along `segments`. */
const locate = (doc: Document, counter: LineCounter, segments: readonly Segment[]) => {
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = counter.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return { line: 1, column: 1 };
};

/** The YAML key node for `key` under `parent`, for pointing at an unknown key rather than its map. */
const locateKey = (doc: Document, counter: LineCounter, parent: readonly Segment[], key: string) => {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  const items = (map as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items;
  const item = items?.find((i) => i.key?.value === key);
  if (item?.key?.range) {
    const { line, col } = counter.linePos(item.key.range[0]);
    return { line, column: col };
  }
  return locate(doc, counter, parent);
};

const describe = (error: ErrorObject, value: unknown): string => {
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    case 'type':
      if (typeof value === 'number' && (error.params as { type: string }).type === 'string') {
        return `must be a string, not the number ${value}: quote it (YAML reads 012345678901 as the number 12345678901)`;
      }
      return `must be ${(error.params as { type: string }).type}, not ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`;
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    case 'pattern':
      return `${JSON.stringify(value)} is not valid here (expected ${error.parentSchema?.description ?? `a value matching ${(error.params as { pattern: string }).pattern}`})`;
    case 'format':
      return `${JSON.stringify(value)} is not a ${(error.params as { format: string }).format} (YYYY-MM-DD)`;
    case 'required':
      return `missing required key "${(error.params as { missingProperty: string }).missingProperty}"`;
    case 'propertyNames':
      return `key ${JSON.stringify((error.params as { propertyName: string }).propertyName)} is not valid here`;
    default:
      return error.message ?? 'is not valid';
  }
};

const valueAt = (data: unknown, segments: readonly Segment[]): unknown =>
  segments.reduce<unknown>((v, s) => (v as Record<string | number, unknown> | undefined)?.[s], data);

/** Schema errors, with the noise of `oneOf` branches removed and each error located. */
const schemaProblems = (data: unknown, doc: Document, counter: LineCounter): BaselineProblem[] => {
  const errors = validate(data);
  // For a oneOf, report the oneOf itself unless a branch gave a more specific error deeper down.
  const deep = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
  const chosen = errors.filter((e) => {
    if (e.keyword === 'oneOf') return !deep.some((d) => d.instancePath.startsWith(`${e.instancePath}/`));
    const isBranchNoise = errors.some(
      (o) => o.keyword === 'oneOf' && o.instancePath === e.instancePath && e.schemaPath.startsWith(o.schemaPath),
    );
    return !isBranchNoise;
  });
  const seen = new Set<string>();
  return chosen.flatMap((error) => {
    const segments = segmentsOf(error.instancePath);
    const value = valueAt(data, segments);
    let located = locate(doc, counter, segments);
    let path = pathText(segments);
    let message = describe(error, value);
    if (error.keyword === 'additionalProperties') {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      located = locateKey(doc, counter, segments, key);
      path = pathText([...segments, key]);
    } else if (error.keyword === 'oneOf') {
      message = `${JSON.stringify(value)?.slice(0, 60)} is not valid here: expected ${error.parentSchema?.description ?? 'another form'}`;
    }
    const id = `${path}|${message}`;
    if (seen.has(id)) return [];
    seen.add(id);
    return [{ ...located, path, message }];
  });
};

interface RawRoleKind {
  allowedPrincipals?: string[];
  requiredManagedPolicies?: (string | string[])[];
  allowedManagedPolicies?: string[];
  allowedInlinePolicies?: Record<string, unknown>;
  permissionsBoundary?: string | null;
}
interface RawRole {
  match: RoleOverride['match'];
  kind?: RoleKind;
  trust?: { principals?: string[]; document?: unknown };
  managedPolicies?: string[];
  allowedManagedPolicies?: string[];
  inlinePolicies?: Record<string, unknown>;
  customerManagedPolicies?: Record<string, { versionId?: string; document: unknown }>;
  permissionsBoundary?: string | null;
  roleId?: string;
  awsManagedPolicyVersions?: Record<string, string>;
}
interface RawBaseline {
  version: 1;
  account?: string;
  roleKinds?: Partial<Record<RoleKind, RawRoleKind>>;
  instanceProfiles?: Record<string, string>;
  roles?: RawRole[];
  waivers?: Waiver[];
}

/**
 * Parses a baseline file (YAML or JSON) and validates it against docs/baseline.schema.json, then
 * checks every policy document. Throws a BaselineError listing every problem with its line and path;
 * nothing is returned for a file with any problem, so a baseline is never half-applied.
 */
export const parseBaselineText = (text: string, source: string): ParsedBaseline => {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new BaselineError(
      source,
      doc.errors.map((e) => {
        const { line, col } = counter.linePos(e.pos[0]);
        return { line, column: col, path: '', message: e.message.split('\n')[0] ?? e.code };
      }),
    );
  }
  const data = doc.toJS() as unknown;
  const problems = schemaProblems(data, doc, counter);
  if (problems.length > 0) throw new BaselineError(source, problems);

  const raw = data as RawBaseline;
  const documentProblems: BaselineProblem[] = [];
  const policy = (value: unknown, segments: Segment[]): PolicyDocument => {
    try {
      return normalisePolicy(typeof value === 'string' ? JSON.parse(value) : value);
    } catch (error) {
      documentProblems.push({
        ...locate(doc, counter, segments),
        path: pathText(segments),
        message: `unparseable policy document: ${(error as Error).message}`,
      });
      return { statements: [] };
    }
  };
  const inlineMap = (value: Record<string, unknown> | undefined, at: Segment[]) =>
    value === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(value).map(([name, v]) => [name, v === null ? null : policy(v, [...at, name])]),
        );

  const roleKinds: Partial<Record<RoleKind, Partial<RoleKindBaseline>>> = {};
  for (const [kind, value] of Object.entries(raw.roleKinds ?? {}) as [RoleKind, RawRoleKind][]) {
    const inline = inlineMap(value.allowedInlinePolicies, ['roleKinds', kind, 'allowedInlinePolicies']);
    roleKinds[kind] = {
      ...(value.allowedPrincipals ? { allowedPrincipals: value.allowedPrincipals } : {}),
      ...(value.requiredManagedPolicies
        ? { requiredManagedPolicies: value.requiredManagedPolicies.map((p) => (Array.isArray(p) ? p : [p])) }
        : {}),
      ...(value.allowedManagedPolicies ? { allowedManagedPolicies: value.allowedManagedPolicies } : {}),
      ...(inline ? { allowedInlinePolicies: inline } : {}),
      ...(value.permissionsBoundary !== undefined ? { permissionsBoundary: value.permissionsBoundary } : {}),
    };
  }
  const roles: RoleOverride[] = (raw.roles ?? []).map((role, i) => {
    const at: Segment[] = ['roles', i];
    const inline = inlineMap(role.inlinePolicies, [...at, 'inlinePolicies']);
    return {
      match: role.match,
      ...(role.kind ? { kind: role.kind } : {}),
      ...(role.trust
        ? {
            trust: {
              ...(role.trust.principals ? { principals: role.trust.principals } : {}),
              ...(role.trust.document !== undefined
                ? { document: policy(role.trust.document, [...at, 'trust', 'document']) }
                : {}),
            },
          }
        : {}),
      ...(role.managedPolicies ? { managedPolicies: role.managedPolicies } : {}),
      ...(role.allowedManagedPolicies ? { allowedManagedPolicies: role.allowedManagedPolicies } : {}),
      ...(inline ? { inlinePolicies: inline } : {}),
      ...(role.customerManagedPolicies
        ? {
            customerManagedPolicies: Object.fromEntries(
              Object.entries(role.customerManagedPolicies).map(([arn, pinned]) => [
                arn,
                {
                  document: policy(pinned.document, [...at, 'customerManagedPolicies', arn, 'document']),
                  ...(pinned.versionId ? { versionId: pinned.versionId } : {}),
                },
              ]),
            ),
          }
        : {}),
      ...(role.permissionsBoundary !== undefined ? { permissionsBoundary: role.permissionsBoundary } : {}),
      ...(role.roleId ? { roleId: role.roleId } : {}),
      ...(role.awsManagedPolicyVersions ? { awsManagedPolicyVersions: role.awsManagedPolicyVersions } : {}),
    };
  });
  if (documentProblems.length > 0) throw new BaselineError(source, documentProblems);
  return {
    ...(raw.account ? { account: raw.account } : {}),
    roleKinds,
    instanceProfileRoles: raw.instanceProfiles ?? {},
    roles,
    waivers: raw.waivers ?? [],
    source: { name: source, sha256: createHash('sha256').update(text).digest('hex') },
  };
};
