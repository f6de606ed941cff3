/**
 * The options every page's request is sent with: the audit's signal, so a deadline stops a listing
 * (its pending page and that page's retries) instead of running past the reserve.
 */
export const abortable = (signal: AbortSignal | undefined): [{ abortSignal: AbortSignal }] | [] =>
  signal ? [{ abortSignal: signal }] : [];
