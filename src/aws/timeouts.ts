import { ConfigError } from '../errors.js';

/** HTTP timeouts for every client, in milliseconds. */
export interface HttpTimeouts {
  /** To establish a connection. */
  readonly connectMs: number;
  /** For one request's answer; a hang becomes a TimeoutError, retried like any transient failure. */
  readonly requestMs: number;
}

/** A few seconds to connect, tens of seconds per request: IAM and Batch answer in well under a second. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { connectMs: 3_000, requestMs: 30_000 };

/**
 * Milliseconds from a setting given in seconds (`--request-timeout 12.5`, `REQUEST_TIMEOUT_SECONDS=12.5`);
 * `fallbackMs` when it is not given. `label` names the setting in the error.
 */
export const secondsSetting = (label: string, given: string | undefined, fallbackMs: number): number => {
  const text = given?.trim();
  if (!text) return fallbackMs;
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) {
    throw new ConfigError(`${label} must be a positive number of seconds, not "${text}".`);
  }
  return Math.round(Number(text) * 1000);
};
