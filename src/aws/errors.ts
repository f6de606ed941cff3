import type { AuditError } from '../domain/model.js';

/**
 * The AWS error name of an SDK failure (`AccessDenied`, `Throttling`, `TimeoutError`, ...), or for a
 * network failure the Node.js error code (`ECONNREFUSED`, `ECONNRESET`, ...), never a bare `Error`.
 */
export const awsErrorCode = (error: unknown): string => {
  const e = error as { name?: string; code?: string; Code?: string; cause?: unknown };
  if (e.Code) return e.Code;
  if (e.name && e.name !== 'Error') return e.name;
  if (e.code) return e.code;
  if (e.cause && e.cause !== error) return awsErrorCode(e.cause);
  // The SDK reports an answer it cannot parse as a plain Error whose message says so.
  if (/Deserialization error|parse error/i.test((error as { message?: string }).message ?? ''))
    return 'InvalidResponse';
  return 'UnknownError';
};

/** One line, without the SDK's hints for developers ("inspect the hidden field …"). */
export const cleanMessage = (message: string): string =>
  (message.split('\n')[0] ?? '')
    .replace(
      /\s*Deserialization error: to see the raw response, inspect the hidden field \{error\}\.\$response on this object\.?/g,
      '',
    )
    .trim()
    .slice(0, 500) || 'no message';

/** IAM says the entity does not exist: proof of absence, not a read failure. */
export const isNoSuchEntity = (error: unknown): boolean => {
  const code = awsErrorCode(error);
  return code === 'NoSuchEntityException' || code === 'NoSuchEntity';
};

/** Turns an SDK failure into a report error naming the operation and resource. */
export const toAuditError = (operation: string, resource: AuditError['resource'], error: unknown): AuditError => {
  const e = error as { message?: string; $metadata?: { attempts?: number } };
  const attempts = e.$metadata?.attempts;
  const message =
    cleanMessage(e.message ?? String(error)) + (attempts && attempts > 1 ? ` (after ${attempts} attempts)` : '');
  return { operation, resource, code: awsErrorCode(error), message };
};
