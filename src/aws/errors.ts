import type { AuditError } from '../domain/model.js';
import { awsErrorCode, cleanMessage } from '../error-codes.js';

/** AWS answered 200 with no entity or list in the body: a broken answer, never proof of absence. */
export class EmptyResponse extends Error {
  public constructor(operation: string) {
    super(`${operation} answered with an empty body`);
    this.name = 'EmptyResponse';
  }
}

export { awsErrorCode, cleanMessage } from '../error-codes.js';

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
