import { Clock } from '@fg/common';

/** Real time plus an offset the test moves forward: "48 hours later" without waiting 48 hours. */
export class ManualClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number) {
    this.offsetMs += ms;
  }
}

export const HOUR = 3_600_000;
