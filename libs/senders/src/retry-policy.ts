import type { AppConfig } from '@fg/common';

/**
 * How long a send waits after its `attempt`-th call was answered "not now": what the provider asked for
 * (Retry-After), or exponential backoff with full jitter from SEND_RETRY_BASE_MS, capped at SEND_RETRY_MAX_DELAY_MS.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  cfg: Pick<AppConfig, 'SEND_RETRY_BASE_MS' | 'SEND_RETRY_MAX_DELAY_MS'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    cfg.SEND_RETRY_MAX_DELAY_MS,
    cfg.SEND_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1),
  );
  const backoff = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(retryAfterMs ?? 0, backoff);
}
