/** HTTP timeouts for every client, in milliseconds. */
export interface HttpTimeouts {
  /** To establish a connection. */
  readonly connectMs: number;
  /** For one request's answer; a hang becomes a TimeoutError, retried like any transient failure. */
  readonly requestMs: number;
}

/** A few seconds to connect, tens of seconds per request: IAM and Batch answer in well under a second. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { connectMs: 3_000, requestMs: 30_000 };
