import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { ConfigError } from '../errors.js';
import type { AccountIdentity } from '../ports.js';
import { awsErrorCode, cleanMessage } from './errors.js';

/** sts:GetCallerIdentity needs no IAM permission: it cannot be denied. */
export const IDENTITY_PERMISSIONS = [] as const;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'TimeoutError',
]);
const BAD_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
]);

/**
 * Establishes the account and partition with sts:GetCallerIdentity, turning the usual start-up
 * failures into errors a user can act on. `endpoint` (an AWS_ENDPOINT_URL override) is named in them.
 */
export const createStsIdentity = (sts: STSClient, endpoint?: string, profile?: string): AccountIdentity => ({
  async whoAmI(signal) {
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}), signal ? { abortSignal: signal } : {});
      const arn = out.Arn ?? '';
      return { account: out.Account ?? '', partition: arn.split(':')[1] || 'aws', arn };
    } catch (error) {
      const code = awsErrorCode(error);
      const errno =
        (error as { code?: string; cause?: { code?: string } }).code ??
        (error as { cause?: { code?: string } }).cause?.code;
      if (code === 'CredentialsProviderError' && profile) {
        // The SDK's own words say what is wrong with the profile (unknown, expired SSO session, ...).
        const message = cleanMessage((error as Error).message);
        throw new ConfigError(
          `Could not load credentials of profile ${profile}: ${message}${/sso/i.test(message) ? ` Run: aws sso login --profile ${profile}` : ''}`,
          { cause: error },
        );
      }
      if (code === 'CredentialsProviderError') {
        throw new ConfigError(
          'No AWS credentials found. Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is available.',
          { cause: error },
        );
      }
      if (BAD_CREDENTIALS.has(code)) {
        throw new ConfigError(`AWS rejected the credentials (${code}): refresh them or choose another AWS_PROFILE.`, {
          cause: error,
        });
      }
      if (NETWORK_CODES.has(code) || (errno !== undefined && NETWORK_CODES.has(errno))) {
        throw new ConfigError(
          `Cannot reach the AWS endpoint${endpoint ? ` ${endpoint}` : ''}: ${errno ?? code}. Check the network, AWS_REGION and AWS_ENDPOINT_URL.`,
          { cause: error },
        );
      }
      throw new ConfigError(`Could not establish the AWS identity (${code}): ${(error as Error).message}`, {
        cause: error,
      });
    }
  },
});
