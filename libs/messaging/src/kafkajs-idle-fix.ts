/**
 * kafkajs 2.2.4 keeps every connection's request queue busy for ever: after its first response, the queue re-checks
 * its pending requests on a `setTimeout` with a negative delay (≈ 1 ms) even when nothing is pending and nothing is
 * throttled — about a thousand wake-ups per second per broker connection, the bulk of an idle app's CPU
 * (tulios/kafkajs#1556, #1704; the fix proposed upstream in #1667 is not released). This applies that fix: a check is
 * scheduled only when a request waits (every 10 ms, or when the throttle ends) or while the broker throttles us; a
 * new request and every response trigger a check anyway. Applied once, and only to the unfixed code: a kafkajs that
 * no longer has the bug is left alone (docs/decisions/0021-performance.md).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as {
  prototype: RequestQueueInternals & { scheduleCheckPendingRequests(): void };
};

interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

const CHECK_PENDING_REQUESTS_INTERVAL = 10;
const original = RequestQueue.prototype.scheduleCheckPendingRequests;

/** True when the loaded kafkajs has the idle loop (its check is scheduled whether or not anything waits). */
export const kafkajsIdleLoopPresent =
  /if \(this\.pending\.length > 0\) \{\s*scheduleAt = scheduleAt > 0/.test(original.toString());

if (kafkajsIdleLoopPresent) {
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
    else if (scheduleAt <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, scheduleAt);
  };
}
