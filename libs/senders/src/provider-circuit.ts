import {
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { ProviderError } from './messages';

export interface CircuitListeners {
  /** The provider keeps failing: stop taking work for it. */
  open(): void;
  /** Time for one probe call: let work in again (the probe's answer closes or reopens the circuit). */
  probe(): void;
  /** The provider answers again. */
  closed(): void;
}

/**
 * A circuit breaker for one provider account (cockatiel): SEND_BREAKER_FAILURES consecutive "not now" answers
 * (429, 5xx, unreachable) open it; while open no call is made; after SEND_BREAKER_HALF_OPEN_MS one probe call is
 * let through, and its answer closes the circuit or opens it again. Permanent refusals (an invalid number) say
 * nothing about the provider's health and don't count.
 */
export class ProviderCircuit {
  private readonly policy: CircuitBreakerPolicy;
  private probeTimer?: NodeJS.Timeout;
  private openedAt = 0;
  readonly halfOpenAfterMs: number;

  constructor(
    readonly name: string,
    o: { failures: number; halfOpenAfterMs: number },
    private readonly on: CircuitListeners,
  ) {
    this.halfOpenAfterMs = o.halfOpenAfterMs;
    this.policy = circuitBreaker(
      handleWhen((e) => !(e instanceof ProviderError && e.permanent)),
      { halfOpenAfter: o.halfOpenAfterMs, breaker: new ConsecutiveBreaker(o.failures) },
    );
    this.policy.onBreak(() => {
      this.openedAt = Date.now();
      this.on.open();
      clearTimeout(this.probeTimer);
      // cockatiel lets the probe through on the first call after the wait; work must flow again for that call.
      this.probeTimer = setTimeout(() => this.on.probe(), o.halfOpenAfterMs);
      this.probeTimer.unref();
    });
    this.policy.onReset(() => {
      clearTimeout(this.probeTimer);
      this.on.closed();
    });
  }

  get state(): 'closed' | 'open' | 'half-open' {
    const s = this.policy.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  /** False while open and before the probe is due: the caller defers without calling. */
  allowsCalls(): boolean {
    const s = this.policy.state;
    if (s === CircuitState.Isolated) return false;
    return s !== CircuitState.Open || Date.now() - this.openedAt >= this.halfOpenAfterMs;
  }

  /** Runs a call through the breaker; throws BrokenCircuitError when the circuit refuses it. */
  execute<T>(fn: () => Promise<T>): Promise<T> {
    return this.policy.execute(fn);
  }

  /** Stops the probe timer (shutdown). */
  dispose() {
    clearTimeout(this.probeTimer);
  }
}
