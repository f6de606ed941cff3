import { GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createStsIdentity } from '../../../src/aws/identity.js';
import { ConfigError } from '../../../src/errors.js';

const stsMock = mockClient(STSClient);

const failing = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, ...extra });

describe('createStsIdentity', () => {
  beforeEach(() => stsMock.reset());

  it('returns the account and the partition of the caller', async () => {
    stsMock.on(GetCallerIdentityCommand).resolves({
      Account: '111122223333',
      Arn: 'arn:aws-cn:sts::111122223333:assumed-role/auditor/session',
      UserId: 'AROA:session',
    });
    await expect(createStsIdentity(new STSClient({})).whoAmI()).resolves.toEqual({
      account: '111122223333',
      partition: 'aws-cn',
      arn: 'arn:aws-cn:sts::111122223333:assumed-role/auditor/session',
    });
  });

  it.each([
    ['no credentials', failing('CredentialsProviderError'), /No AWS credentials found/],
    [
      'rejected credentials',
      new STSServiceException({ name: 'InvalidClientTokenId', $fault: 'client', $metadata: {}, message: 'bad' }),
      /AWS rejected the credentials \(InvalidClientTokenId\)/,
    ],
    [
      'an unreachable endpoint',
      failing('Error', { code: 'ECONNREFUSED' }),
      /Cannot reach the AWS endpoint http:\/\/127.0.0.1:9: ECONNREFUSED/,
    ],
    ['anything else', failing('InternalFailure'), /Could not establish the AWS identity \(InternalFailure\)/],
  ])('turns %s into a ConfigError a user can act on', async (_label, error, message) => {
    stsMock.on(GetCallerIdentityCommand).rejects(error);
    const attempt = createStsIdentity(new STSClient({}), 'http://127.0.0.1:9').whoAmI();
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(message);
  });

  it.each([
    [
      'an expired SSO session',
      "The SSO session token associated with profile=ops was not found or is invalid. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
      "Could not load credentials of profile ops: The SSO session token associated with profile=ops was not found or is invalid. To refresh this SSO session run 'aws sso login' with the corresponding profile. Run: aws sso login --profile ops",
    ],
    [
      'an unknown profile',
      'Could not resolve credentials using profile: [ops] in configuration/credentials file(s).',
      'Could not load credentials of profile ops: Could not resolve credentials using profile: [ops] in configuration/credentials file(s).',
    ],
  ])("keeps the SDK's words for %s of a named profile, and adds the command to run", async (_label, sdk, expected) => {
    stsMock.on(GetCallerIdentityCommand).rejects(failing('CredentialsProviderError', { message: sdk }));
    await expect(createStsIdentity(new STSClient({}), undefined, 'ops').whoAmI()).rejects.toThrow(expected);
  });
});
