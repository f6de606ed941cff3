import type { AuditError } from '../domain/model.js';

/** The AWS error name of an SDK failure (`AccessDenied`, `Throttling`, `TimeoutError`, ...). */
export const awsErrorCode = (error: unknown): string => {
  const e = error as { name?: string; code?: string; Code?: string };
  return e.Code ?? e.name ?? e.code ?? 'Error';
};

/** IAM says the entity does not exist: proof of absence, not a read failure. */
export const isNoSuchEntity = (error: unknown): boolean => {
  const code = awsErrorCode(error);
  return code === 'NoSuchEntityException' || code === 'NoSuchEntity';
};

/** Turns an SDK failure into a report error naming the operation and resource. */
export const toAuditError = (operation: string, resource: AuditError['resource'], error: unknown): AuditError => {
  const e = error as { message?: string; $metadata?: { attempts?: number } };
  const attempts = e.$metadata?.attempts;
  const message = (e.message ?? String(error)) + (attempts && attempts > 1 ? ` (after ${attempts} attempts)` : '');
  return { operation, resource, code: awsErrorCode(error), message };
};
