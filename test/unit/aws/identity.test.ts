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
});
