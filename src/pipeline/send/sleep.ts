/**
 * Node's timers hold a signed 32-bit count of ms: a longer delay (≥ 2^31 ms, ~24.8 days) fires at
 * once, with a warning, which turned an absurd Retry-After into a busy loop. Every timer is capped.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A wait that ends early, without throwing, when `signal` fires: callers check the signal after. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (!(ms > 0) || signal?.aborted) {
      resolve();
      return;
    }
    const until = Date.now() + ms;
    let timer: NodeJS.Timeout;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const arm = (): void => {
      const left = until - Date.now();
      if (left <= 0) return done();
      timer = setTimeout(arm, Math.min(MAX_TIMER_MS, left));
    };
    signal?.addEventListener('abort', done, { once: true });
    arm();
  });
}
