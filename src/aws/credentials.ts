import { STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { CredentialProvider } from '../ports.js';

/** STS actions the auditor calls to enter another account (`--role-arn`, `--accounts`). */
export const ASSUME_ROLE_PERMISSIONS = ['sts:AssumeRole'] as const;

/** The session name CloudTrail shows for the auditor's assumed-role calls. */
export const SESSION_NAME = 'batch-iam-drift';

/**
 * The credentials of a named profile of the shared AWS config and credentials files: static keys,
 * `credential_process`, SSO, or a role it assumes itself. The SDK's own errors (an unknown profile, an
 * expired SSO session) come through unchanged, at the first call.
 */
export const profileCredentials = (profile: string): CredentialProvider => fromIni({ profile });

/** Options for {@link assumedRoleCredentials}. */
export interface AssumeRoleOptions {
  readonly roleArn: string;
  readonly externalId?: string | undefined;
  /** Whose credentials call sts:AssumeRole: the default chain when absent. */
  readonly base?: CredentialProvider | undefined;
  /** The STS region: the partition of the role. */
  readonly region: string;
}

/**
 * Credentials of a role assumed with STS, refreshed before they expire (an audit of a large account
 * can outlast one session). The role is assumed at the first call, so a missing or untrusting role
 * fails there: with AccessDenied, named with the role.
 */
export const assumedRoleCredentials = (options: AssumeRoleOptions): CredentialProvider =>
  fromTemporaryCredentials({
    params: {
      RoleArn: options.roleArn,
      RoleSessionName: SESSION_NAME,
      DurationSeconds: 3600,
      ...(options.externalId ? { ExternalId: options.externalId } : {}),
    },
    ...(options.base ? { masterCredentials: options.base } : {}),
    clientConfig: { region: options.region, maxAttempts: 2 },
  });

/**
 * The region a profile names (`region` in its section of the config file), resolved by the SDK as it
 * resolves a client's region; undefined when the profile names none (or does not exist).
 */
export const profileRegion = async (profile: string): Promise<string | undefined> => {
  const probe = new STSClient({ profile });
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
};
