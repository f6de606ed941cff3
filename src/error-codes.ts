// Error codes and messages for reports, shared by the adapters and the audit: no SDK types here.

/**
 * The AWS error name of an SDK failure (`AccessDenied`, `Throttling`, `TimeoutError`, ...), or for a
 * network failure the Node.js error code (`ECONNREFUSED`, `ECONNRESET`, ...), never a bare `Error`.
 */
export const awsErrorCode = (error: unknown): string => {
  const e = error as { name?: string; code?: string; Code?: string; cause?: unknown };
  if (e.Code) return e.Code;
  // A body that is not JSON reaches us as the parser's own SyntaxError.
  if (e.name === 'SyntaxError') return 'InvalidResponse';
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
