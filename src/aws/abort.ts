/**
 * The options every page's request is sent with: the audit's signal, so a deadline stops a listing
 * (its pending page and that page's retries) instead of running past the reserve.
 */
export const abortable = (signal: AbortSignal | undefined): [{ abortSignal: AbortSignal }] | [] =>
  signal ? [{ abortSignal: signal }] : [];

/**
 * Settles with the signal's reason as soon as it aborts, whatever `work` is doing. The SDK's retry
 * back-off (adaptive mode waits for its rate limiter between attempts) does not watch the signal, so a
 * throttled call could otherwise outlive the deadline by minutes; its eventual answer is ignored.
 */
export const untilAborted = <T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) {
      stop();
      return;
    }
    signal.addEventListener('abort', stop, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', stop);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', stop);
        reject(error);
      },
    );
  });
};
