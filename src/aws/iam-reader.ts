import {
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import type {
  AttachedPolicy,
  AuditError,
  IamSnapshot,
  InlinePolicy,
  InstanceProfileState,
  ManagedPolicyState,
  Read,
  RoleState,
} from '../domain/model.js';
import { decodePolicyDocument } from '../domain/policy.js';
import type { IamReadRequest, IamStateReader } from '../ports.js';
import { abortable, untilAborted } from './abort.js';
import { EmptyResponse, isNoSuchEntity, toAuditError } from './errors.js';

/** IAM actions this reader calls; the deployment's role must grant exactly these (checked by a test). */
export const IAM_READER_PERMISSIONS = [
  'iam:GetInstanceProfile',
  'iam:GetRole',
  'iam:ListAttachedRolePolicies',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
] as const;

/** Options for {@link createPerRoleIamReader}. */
export interface PerRoleReaderOptions {
  /** IAM calls in flight at once. IAM's rate is per account; 1–2 calls already fill a 10 calls/s bucket. */
  readonly concurrency?: number;
  /** Told how far the reads are, about every tenth of them ("IAM: roles 120/200"). */
  readonly onNote?: ((note: string) => void) | undefined;
}

/** Reads `items` with `read`, telling `onNote` the count at about every tenth and at the end. */
const counted = async <K, T>(
  items: readonly (readonly [K, string])[],
  noun: string,
  read: (name: string) => Promise<T>,
  onNote: ((note: string) => void) | undefined,
): Promise<Map<K, T>> => {
  const step = Math.max(1, Math.ceil(items.length / 10));
  let done = 0;
  return new Map(
    await Promise.all(
      items.map(async ([key, name]) => {
        const value = await read(name);
        done++;
        // Small reads say nothing: progress matters when a read takes long enough to wonder.
        if (items.length >= 20 && (done % step === 0 || done === items.length))
          onNote?.(`IAM: ${noun} ${done}/${items.length}`);
        return [key, value] as const;
      }),
    ),
  );
};

/** A sub-read found its entity gone: the role changed while it was read. */
class Vanished extends Error {
  public constructor(public readonly operation: string) {
    super(`${operation}: NoSuchEntity while reading the role`);
  }
}

/** Carries the IAM operation that failed, so the report can name it. */
class OperationFailed extends Error {
  public constructor(
    public readonly operation: string,
    options: ErrorOptions,
  ) {
    super(operation, options);
  }
}

/** The entity reads of one `read` call: each returns a `Read`, never throws for one entity. */
export interface IamReads {
  readProfile(name: string): Promise<Read<InstanceProfileState>>;
  readRole(name: string): Promise<Read<RoleState>>;
  readPolicy(arn: string): Promise<Read<ManagedPolicyState>>;
}

/**
 * The per-entity IAM reads (GetInstanceProfile, GetRole with its policy lists and inline documents,
 * GetPolicy with the default version's document), sharing one concurrency limit. Used by the
 * per-role reader for everything and by the bulk reader for what the bulk answer does not hold.
 */
export const createIamReads = (iam: IAMClient, concurrency: number, signal?: AbortSignal): IamReads => {
  const limit = pLimit(concurrency);
  const sendOptions = signal ? { abortSignal: signal } : {};
  /** Runs one IAM call (or one paginated listing) in a concurrency slot, labelling its failure. */
  const call = <T>(operation: string, body: () => Promise<T>): Promise<T> =>
    limit(async () => {
      try {
        signal?.throwIfAborted();
        return await untilAborted(body(), signal);
      } catch (error) {
        throw new OperationFailed(operation, { cause: error });
      }
    });

  /**
   * Reads one entity. Only the entity's own Get answering NoSuchEntity twice (a second read confirms
   * it) means it is missing; any other failure is a read error naming the operation.
   */
  const attempt = async <T>(
    resource: AuditError['resource'],
    body: () => Promise<T>,
    missingOperation?: string,
  ): Promise<Read<T>> => {
    for (let tries = 1; ; tries++) {
      try {
        return { status: 'found', value: await body() };
      } catch (error) {
        if (!(error instanceof OperationFailed)) throw error;
        const absent = isNoSuchEntity(error.cause) && error.operation === missingOperation;
        if (absent && tries >= 2) return { status: 'missing' };
        if (!absent) return { status: 'error', error: toAuditError(error.operation, resource, error.cause) };
      }
    }
  };

  const readProfile = (name: string): Promise<Read<InstanceProfileState>> =>
    attempt(
      { type: 'instance-profile', name },
      async () => {
        const profile = await call('iam:GetInstanceProfile', async () => {
          const out = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }), sendOptions);
          if (!out.InstanceProfile) throw new EmptyResponse('iam:GetInstanceProfile');
          return out.InstanceProfile;
        });
        return {
          name: profile.InstanceProfileName ?? name,
          arn: profile.Arn ?? '',
          path: profile.Path ?? '/',
          roleNames: (profile.Roles ?? []).flatMap((role) => (role.RoleName ? [role.RoleName] : [])),
        };
      },
      'iam:GetInstanceProfile',
    );

  const listAttached = (name: string) =>
    call('iam:ListAttachedRolePolicies', async () => {
      const list: AttachedPolicy[] = [];
      for await (const page of paginateListAttachedRolePolicies(
        { client: iam, pageSize: 100 },
        { RoleName: name },
        ...abortable(signal),
      )) {
        signal?.throwIfAborted();
        // IAM always sends the list element, empty or not: a page without it is a broken answer.
        if (!page.AttachedPolicies) throw new EmptyResponse('iam:ListAttachedRolePolicies');
        for (const p of page.AttachedPolicies) {
          if (p.PolicyArn) list.push({ arn: p.PolicyArn, name: p.PolicyName ?? p.PolicyArn });
        }
      }
      return list.sort((a, b) => a.arn.localeCompare(b.arn));
    });

  const listInline = (name: string) =>
    call('iam:ListRolePolicies', async () => {
      const list: string[] = [];
      for await (const page of paginateListRolePolicies(
        { client: iam, pageSize: 100 },
        { RoleName: name },
        ...abortable(signal),
      )) {
        signal?.throwIfAborted();
        if (!page.PolicyNames) throw new EmptyResponse('iam:ListRolePolicies');
        list.push(...page.PolicyNames);
      }
      return list.sort();
    });

  const readInline = (roleName: string, policyName: string): Promise<InlinePolicy> =>
    call('iam:GetRolePolicy', async () => {
      const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }), sendOptions);
      return { name: policyName, document: decodePolicyDocument(out.PolicyDocument ?? '') };
    });

  /**
   * One pass over a role: GetRole, then its policy lists and inline documents. A sub-read that fails
   * is kept as `unread` with what was read; one that finds its entity gone (an inline policy deleted
   * between list and get, as deploys do) throws `Vanished` so the role is read once more.
   */
  const readRoleOnce = async (name: string, lastTry: boolean): Promise<RoleState> => {
    const { role, trustPolicy } = await call('iam:GetRole', async () => {
      const out = await iam.send(new GetRoleCommand({ RoleName: name }), sendOptions);
      if (!out.Role) throw new EmptyResponse('iam:GetRole');
      return { role: out.Role, trustPolicy: decodePolicyDocument(out.Role.AssumeRolePolicyDocument ?? '') };
    });
    const unread: AuditError[] = [];
    const part = async <T>(operation: string, read: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await read();
      } catch (error) {
        if (!(error instanceof OperationFailed)) throw error;
        if (isNoSuchEntity(error.cause) && !lastTry) throw new Vanished(operation);
        const auditError = toAuditError(error.operation, { type: 'role', name }, error.cause);
        unread.push(
          isNoSuchEntity(error.cause)
            ? {
                ...auditError,
                message: `${auditError.message} (the role changed while it was read twice; a deploy in progress?)`,
              }
            : auditError,
        );
        return fallback;
      }
    };
    const [attachedPolicies, inlineNames] = await Promise.all([
      part('iam:ListAttachedRolePolicies', () => listAttached(name), [] as AttachedPolicy[]),
      part('iam:ListRolePolicies', () => listInline(name), [] as string[]),
    ]);
    const inlinePolicies = (
      await Promise.all(
        inlineNames.map((policyName) =>
          part('iam:GetRolePolicy', () => readInline(name, policyName), undefined as InlinePolicy | undefined),
        ),
      )
    ).filter((p): p is InlinePolicy => p !== undefined);
    return {
      name: role.RoleName ?? name,
      arn: role.Arn ?? '',
      path: role.Path ?? '/',
      roleId: role.RoleId ?? '',
      trustPolicy,
      attachedPolicies,
      inlinePolicies,
      permissionsBoundaryArn: role.PermissionsBoundary?.PermissionsBoundaryArn,
      ...(unread.length > 0 ? { unread } : {}),
    };
  };

  const readRole = (name: string): Promise<Read<RoleState>> =>
    attempt(
      { type: 'role', name },
      async () => {
        try {
          return await readRoleOnce(name, false);
        } catch (error) {
          if (!(error instanceof Vanished)) throw error;
          return await readRoleOnce(name, true);
        }
      },
      'iam:GetRole',
    );

  /** A managed policy's default version and its document (AWS managed ones too: effective permissions need them). */
  const readPolicy = (arn: string): Promise<Read<ManagedPolicyState>> =>
    attempt({ type: 'policy', name: arn }, async () => {
      const { policyName, versionId } = await call('iam:GetPolicy', async () => {
        const out = await iam.send(new GetPolicyCommand({ PolicyArn: arn }), sendOptions);
        if (!out.Policy?.DefaultVersionId) throw new EmptyResponse('iam:GetPolicy');
        return { policyName: out.Policy.PolicyName ?? arn, versionId: out.Policy.DefaultVersionId };
      });
      const document = await call('iam:GetPolicyVersion', async () => {
        const out = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }), sendOptions);
        return decodePolicyDocument(out.PolicyVersion?.Document ?? '');
      });
      return { arn, name: policyName, defaultVersionId: versionId, document };
    });

  return { readProfile, readRole, readPolicy };
};

/**
 * Reads the requested profiles, the roles asked for and those inside the profiles, then every managed
 * policy they attach (or use as a boundary), each once, entity by entity; whatever `request.known`
 * holds is not read again and is left out of the answer.
 */
export const readEntities = async (
  reads: IamReads,
  request: IamReadRequest,
  onNote?: (note: string) => void,
): Promise<IamSnapshot> => {
  const known = request.known;
  const byKey = (names: readonly string[]): Map<string, string> =>
    new Map(names.map((name) => [name.toLowerCase(), name]));

  const profileNames = byKey(request.instanceProfileNames);
  for (const key of known?.instanceProfiles.keys() ?? []) profileNames.delete(key);
  const profiles = new Map(
    await Promise.all([...profileNames].map(async ([key, name]) => [key, await reads.readProfile(name)] as const)),
  );
  const roleNames = byKey(request.roleNames);
  for (const read of profiles.values()) {
    if (read.status !== 'found') continue;
    for (const name of read.value.roleNames)
      if (!roleNames.has(name.toLowerCase())) roleNames.set(name.toLowerCase(), name);
  }
  for (const key of known?.roles.keys() ?? []) roleNames.delete(key);
  const roles = await counted([...roleNames], 'roles', reads.readRole, onNote);
  const policyArns = new Set<string>();
  for (const read of roles.values()) {
    if (read.status !== 'found') continue;
    for (const policy of read.value.attachedPolicies) policyArns.add(policy.arn);
    if (read.value.permissionsBoundaryArn) policyArns.add(read.value.permissionsBoundaryArn);
  }
  for (const arn of known?.managedPolicies.keys() ?? []) policyArns.delete(arn);
  const managedPolicies = await counted(
    [...policyArns].map((arn) => [arn, arn] as const),
    'managed policies',
    reads.readPolicy,
    onNote,
  );
  return { roles, instanceProfiles: profiles, managedPolicies };
};

/**
 * Reads IAM entity by entity (GetInstanceProfile, GetRole, list and get policies). Each distinct
 * profile, role and managed policy (attached, or a permissions boundary) is read once per `read` call
 * however often it is requested, with its default version's document.
 */
export const createPerRoleIamReader = (iam: IAMClient, options: PerRoleReaderOptions = {}): IamStateReader => ({
  read: (request: IamReadRequest, signal?: AbortSignal): Promise<IamSnapshot> =>
    readEntities(createIamReads(iam, options.concurrency ?? 4, signal), request, options.onNote),
});
