import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, Clock, DomainError, Metrics, newId, withCorrelation } from '@fg/common';
import {
  Channel,
  CloudEvent,
  DeliveryReceipt,
  DispatchRequested,
  dispatchTopicFor,
  encodeCloudEvent,
} from '@fg/contracts';
import {
  CaseRepository,
  DistributionEntity,
  DistributionRepository,
  InviteRepository,
  SendRateRepository,
  SurveyLinkRepository,
  ReferenceCache,
  TemplateEntity,
  inviteFromRow,
  readThrough,
} from '@fg/persistence';
import {
  InviteStatusService,
  QuarantineService,
  SuppressionService,
  TemplateResolver,
  normalizeAddress,
} from '@fg/invites';
import {
  DeadLetters,
  MessageTransport,
  OutboxService,
  SpanKind,
  TopicNames,
  UnitOfWork,
  inSpan,
  outgoingTrace,
} from '@fg/messaging';
import { BrokenCircuitError } from 'cockatiel';
import { composeMessage } from './compose';
import { ChannelProvider, OutgoingMessage, ProviderError, accountOf } from './messages';
import { UnsubscribeLinks } from '@fg/links';
import { AccountRateLimiter } from './rate-limiter';
import { ProviderCircuit } from './provider-circuit';
import { retryDelayMs } from './retry-policy';
import { nextOpening } from './send-window';

export const SENDER_CHANNEL = Symbol('SENDER_CHANNEL');

export interface Dispatch {
  event: CloudEvent<DispatchRequested>;
  correlationId: string;
}

/** One claimed attempt at a send: its number (the fence for recording its outcome) and since when it waits. */
interface Attempt {
  item: Dispatch;
  attempt: number;
  deferredSince: Date | null;
}

/** What the provider answered (or why it was not asked), to be recorded. */
interface RecordedOutcome {
  providerMessageId?: string | null;
  failure?: string;
  suppress?: string;
  fallback?: boolean;
  deadLetter?: Outcome['deadLetter'];
  /** Try again later: the provider can't take it now (429/5xx/unreachable, its circuit is open). */
  defer?: { at: Date; reason: string; why: 'provider' | 'circuit' };
  /** No answer: the message may or may not have gone out. Nothing is recorded; the reconciler asks the provider. */
  unknown?: true;
}

/** How long a provider's answer is kept trying to be recorded while the database is unavailable. */
const RECORD_HORIZON_MS = 15 * 60_000;

interface Outcome {
  item: Dispatch;
  attempt: number;
  receipt: DeliveryReceipt | null;
  defer?: RecordedOutcome['defer'];
  correlationId: string;
  /** A permanent failure: the distribution's fallback channel (if any) gets the invite next. */
  fallback?: Dispatch;
  suppress?: string;
  deadLetter?: { event: CloudEvent<DispatchRequested>; reason: string; code: string };
  done: () => void;
  fail: (e: unknown) => void;
}

/**
 * One sender per channel. In the consumer's transaction: claim the invites (pending, or deferred and due →
 * sending, numbering the attempt), drop the ones whose address is suppressed or whose contact is quarantined,
 * defer the ones outside the distribution's send window, render the messages. The provider is called once per
 * claim, only after that commits, so a crash can never lead to a second send: a redelivered dispatch finds its
 * invite already claimed and stops (the invite's id rides with the message, so receipts still correlate; the
 * reconciler settles claims that never got an answer).
 *
 * Every answer is recorded durably, for the attempt that got it: accepted; refused for good (Failed, maybe the
 * fallback channel); or "not now" (429/5xx/unreachable), which defers the invite to its next attempt (Retry-After
 * or exponential backoff with jitter) — the scheduler claims it again when due, from any instance, after any
 * restart. Consecutive "not now"s open the provider account's circuit: its dispatches stop being consumed and
 * sends in hand are deferred without a call, until a probe call succeeds. Only past SEND_RETRY_HORIZON_MINUTES of
 * deferral does a send become Failed (PROVIDER_UNAVAILABLE) and a dead letter that an operator can redrive.
 */
@Injectable()
export class ChannelSenderService {
  private readonly log: Logger;
  private readonly outcomes: Outcome[] = [];
  private flushing?: Promise<void>;
  private stopping = false;
  private readonly unsubscribe: UnsubscribeLinks;
  private readonly limiter: AccountRateLimiter;
  private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  private readonly ratePerSecond: number;
  readonly circuit: ProviderCircuit;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(SENDER_CHANNEL) readonly channel: Channel,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly provider: ChannelProvider,
    private readonly templates: TemplateResolver,
    private readonly statuses: InviteStatusService,
    private readonly suppressions: SuppressionService,
    private readonly quarantine: QuarantineService,
    private readonly outbox: OutboxService,
    private readonly transport: MessageTransport,
    private readonly names: TopicNames,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly links: SurveyLinkRepository,
    private readonly invites: InviteRepository,
    private readonly distributions: DistributionRepository,
    private readonly cases: CaseRepository,
    private readonly deadLetters: DeadLetters,
    sendRates: SendRateRepository,
    private readonly cache: ReferenceCache,
  ) {
    this.log = new Logger(`Sender:${channel}`);
    this.unsubscribe = new UnsubscribeLinks(cfg.LINK_SIGNING_SECRET, cfg.PUBLIC_BASE_URL);
    this.limiter = new AccountRateLimiter(sendRates);
    this.circuit = new ProviderCircuit(
      `${provider.name}:${channel}`,
      { failures: cfg.SEND_BREAKER_FAILURES, halfOpenAfterMs: cfg.SEND_BREAKER_HALF_OPEN_MS },
      {
        open: () => {
          this.log.warn(`${provider.name} keeps failing: circuit open, ${channel} dispatches paused`);
          metrics.circuitState.set({ channel, provider: provider.name }, 1);
          transport.pause(names.of(dispatchTopicFor[channel]));
        },
        probe: () => transport.resume(names.of(dispatchTopicFor[channel])),
        closed: () => {
          this.log.log(`${provider.name} answers again: circuit closed, ${channel} dispatches resumed`);
          metrics.circuitState.set({ channel, provider: provider.name }, 0);
          transport.resume(names.of(dispatchTopicFor[channel]));
        },
      },
    );
    this.ratePerSecond = {
      email: cfg.SEND_RATE_PER_SECOND_EMAIL,
      sms: cfg.SEND_RATE_PER_SECOND_SMS,
      whatsapp: cfg.SEND_RATE_PER_SECOND_WHATSAPP,
    }[channel];
  }

  /** The distributions of a batch, from the reference cache until one changes. */
  private distributionsOf(em: EntityManager, ids: string[]): Promise<DistributionEntity[]> {
    const unique = [...new Set(ids)].sort();
    return readThrough(this.cache, 'distributions', unique.join(','), () =>
      this.distributions.findMany(unique, em),
    );
  }

  async prepare(em: EntityManager, items: Dispatch[], afterCommit: (fn: () => Promise<void>) => void) {
    const now = this.clock.now();
    const claimed = await this.invites.claim(
      em,
      items.map((i) => i.event.data.inviteId),
      now,
    );
    const rows = new Map(claimed.map((r) => [r.id, r]));
    const invites = new Map(claimed.map((r) => [r.id, inviteFromRow(r)]));
    const suppressed = await this.suppressions.active(
      em,
      this.channel,
      claimed.map((r) => r.recipient),
    );
    const quarantined = await this.quarantine.check(
      em,
      this.channel,
      claimed
        .filter((r) => r.kind === 'invitation')
        .map((r) => ({ inviteId: r.id, contactKey: r.contact_key })),
      now,
    );
    // The first send starts a dynamic expiry ("valid N days after sending"); every message shows the real one.
    const expiries = await this.links.startExpiry(
      em,
      [
        ...new Set(
          claimed
            .filter(
              (r) => !quarantined.has(r.id) && !suppressed.has(normalizeAddress(this.channel, r.recipient)),
            )
            .map((r) => r.link_id),
        ),
      ],
      now,
    );
    const dists = new Map(
      (
        await this.distributionsOf(
          em,
          items.map((i) => i.event.data.distributionId),
        )
      ).map((d) => [d.id, d]),
    );
    // Quiet hours follow the recipient's time zone: read the cases' contacts only when a window applies.
    const windowed = items.filter((i) => dists.get(i.event.data.distributionId)?.sendWindow);
    const timeZones = new Map(
      windowed.length
        ? (await this.cases.findMany([...new Set(windowed.map((i) => i.event.data.caseId))], em)).map((c) => [
            c.id,
            c.contact?.timeZone ?? null,
          ])
        : [],
    );
    const templateCache = new Map<string, Promise<TemplateEntity | null>>();
    for (const item of items) {
      const { event, correlationId } = item;
      const d = event.data;
      const invite = invites.get(d.inviteId);
      if (!invite) {
        withCorrelation(correlationId, () =>
          this.log.log(`invite ${d.inviteId} already attempted; not sending again`),
        );
        continue;
      }
      invites.delete(d.inviteId);
      const row = rows.get(d.inviteId)!;
      const s = suppressed.get(normalizeAddress(this.channel, row.recipient));
      if (s) {
        await this.statuses.transition(
          em,
          invite,
          { status: 'Suppressed', deliveryStatus: 'failed', reason: `SUPPRESSED: ${s.reason} (${s.source})` },
          correlationId,
        );
        continue;
      }
      const q = quarantined.get(d.inviteId);
      if (q) {
        await this.statuses.transition(
          em,
          invite,
          { status: 'Quarantined', deliveryStatus: 'failed', reason: q },
          correlationId,
        );
        continue;
      }
      const dist = dists.get(d.distributionId)!;
      const opening = dist.sendWindow
        ? nextOpening(dist.sendWindow, timeZones.get(d.caseId) ?? null, now)
        : null;
      if (opening) {
        this.metrics.sendsDeferred.inc({ channel: this.channel, why: 'quiet-hours' });
        await this.statuses.defer(em, [
          {
            inviteId: d.inviteId,
            attempt: row.attempts,
            nextAttemptAt: opening.at,
            reason: `QUIET_HOURS: outside the send window (${opening.window}); next opening ${opening.at.toISOString()}`,
            correlationId,
          },
        ]);
        continue;
      }
      const fail = async (reason: string) => {
        await this.statuses.transition(
          em,
          invite,
          { status: 'Failed', deliveryStatus: 'failed', reason },
          correlationId,
        );
        await this.fallBack(em, [{ dispatch: item, dist }]);
      };
      const tk = `${d.distributionId}|${d.kind}|${d.language}`;
      if (!templateCache.has(tk))
        templateCache.set(
          tk,
          this.templates.resolve(
            { distributionId: d.distributionId, channel: this.channel, kind: d.kind },
            d.language,
            dist.defaultLanguage,
            em,
          ),
        );
      const template = await templateCache.get(tk)!;
      if (!template) {
        await fail(`TEMPLATE_NOT_FOUND: no ${this.channel} ${d.kind} template for language ${d.language}`);
        continue;
      }
      let message: OutgoingMessage;
      try {
        const expiresAt = expiries.get(row.link_id);
        message = composeMessage(this.channel, template, dist, {
          ...d,
          link: { ...d.link, expiresAt: expiresAt ? expiresAt.toISOString() : d.link.expiresAt },
          unsubscribe: {
            url: this.unsubscribe.urlFor(d.inviteId),
            ...(this.cfg.UNSUBSCRIBE_MAILTO ? { mailto: this.cfg.UNSUBSCRIBE_MAILTO } : {}),
          },
        });
      } catch (e) {
        if (e instanceof DomainError) {
          await fail(e.message);
          continue;
        }
        throw e;
      }
      const rate = dist.accounts[this.channel]?.ratePerSecond ?? this.ratePerSecond;
      // Registered under this event's correlation id, so the provider call and its logs carry it.
      const attempt: Attempt = { item, attempt: row.attempts, deferredSince: row.deferred_since };
      withCorrelation(correlationId, () => afterCommit(() => this.deliver(message, rate, attempt)));
    }
  }

  /**
   * One provider call, then its outcome recorded. Once an answer is in hand, a failure to record it (the database
   * is down or restarting) retries the recording, never the call: a second call would be a second message.
   */
  private async deliver(m: OutgoingMessage, rate: number, a: Attempt): Promise<void> {
    const outcome = await this.call(m, rate, a);
    if (!outcome.unknown) await this.recordDurably(a, outcome);
  }

  private async call(m: OutgoingMessage, rate: number, a: Attempt): Promise<RecordedOutcome> {
    if (!this.circuit.allowsCalls())
      return this.deferOrGiveUp(a, this.circuitWait(), 'CIRCUIT_OPEN', 'circuit');
    await this.limiter.acquire(accountOf(m), rate);
    try {
      const res = await inSpan(
        `send ${this.provider.name} ${m.channel}`,
        SpanKind.CLIENT,
        null,
        { 'fg.provider': this.provider.name, 'fg.channel': m.channel, 'fg.invite_id': m.inviteId },
        () => this.circuit.execute(() => this.provider.send({ ...m, trace: outgoingTrace() })),
      );
      this.metrics.providerCalls.inc({ provider: this.provider.name, outcome: 'accepted' });
      return { providerMessageId: res.providerMessageId };
    } catch (e) {
      if (e instanceof BrokenCircuitError)
        return this.deferOrGiveUp(a, this.circuitWait(), 'CIRCUIT_OPEN', 'circuit');
      const err =
        e instanceof ProviderError ? e : new ProviderError((e as Error).message, false, 'UNEXPECTED');
      this.metrics.providerCalls.inc({
        provider: this.provider.name,
        outcome: err.permanent ? 'rejected' : 'retry',
      });
      if (err.permanent) {
        this.log.warn(`${this.channel} for invite ${m.inviteId} rejected: ${err.message}`);
        return { failure: `PROVIDER_REJECTED: ${err.code}`, suppress: err.suppress, fallback: true };
      }
      if (err.ambiguous) {
        this.log.warn(
          `${this.channel} for invite ${m.inviteId}: no answer (${err.message}); the reconciler will ask ${this.provider.name}`,
        );
        return { unknown: true };
      }
      return this.deferOrGiveUp(
        a,
        retryDelayMs(a.attempt, err.retryAfterMs, this.cfg),
        err.code,
        'provider',
        err.message,
      );
    }
  }

  /** While the circuit is open: until about when the probe is due (spread, so the sends don't come back at once). */
  private circuitWait() {
    return this.circuit.halfOpenAfterMs * (1 + Math.random());
  }

  /**
   * The provider can't take the send now: defer it by `waitMs`, or, when that would pass the retry horizon
   * (counted from its first deferral), give up: Failed (PROVIDER_UNAVAILABLE) and a dead letter to redrive.
   */
  private deferOrGiveUp(
    a: Attempt,
    waitMs: number,
    code: string,
    why: 'provider' | 'circuit',
    detail = code,
  ): RecordedOutcome {
    const now = this.clock.now();
    const since = a.deferredSince ?? now;
    const at = new Date(now.getTime() + waitMs);
    if (at.getTime() > since.getTime() + this.cfg.SEND_RETRY_HORIZON_MINUTES * 60_000) {
      const minutes = Math.round((now.getTime() - since.getTime()) / 60_000);
      const reason = `PROVIDER_UNAVAILABLE: ${code} after ${a.attempt} attempts over ${minutes} min`;
      this.log.warn(`${this.channel} for invite ${a.item.event.data.inviteId} failed for good: ${detail}`);
      return {
        failure: reason,
        deadLetter: { event: a.item.event, reason: `${reason}: ${detail}`, code: 'PROVIDER_UNAVAILABLE' },
      };
    }
    this.metrics.sendsDeferred.inc({ channel: this.channel, why });
    return {
      defer: {
        at,
        why,
        reason: `PROVIDER_UNAVAILABLE: ${code} on attempt ${a.attempt}; next attempt ${at.toISOString()}`,
      },
    };
  }

  /**
   * Records a provider's answer, retrying the recording with backoff while the database can't take it. Gives up
   * only when the process stops or after RECORD_HORIZON_MS; the invite then stays `sending` and the reconciler
   * settles it without sending again.
   */
  private async recordDurably(a: Attempt, o: RecordedOutcome): Promise<void> {
    const item = a.item;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.record(a, o);
      } catch (e) {
        if (this.stopping || Date.now() - started > RECORD_HORIZON_MS) throw e;
        this.metrics.outcomeRecordRetries.inc({ channel: this.channel });
        if (attempt === 0)
          this.log.warn(
            `could not record the provider's answer for invite ${item.event.data.inviteId} (${(e as Error).message}); retrying the recording, not the send`,
          );
        const backoff = Math.min(5_000, 100 * 2 ** attempt);
        await this.sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  }

  onModuleDestroy() {
    this.stopping = true;
    this.circuit.dispose();
  }

  /** Outcomes are coalesced: whatever arrived while the previous write ran goes in the next transaction. */
  private record({ item, attempt }: Attempt, o: RecordedOutcome) {
    return new Promise<void>((done, fail) => {
      this.outcomes.push({
        item,
        attempt,
        defer: o.defer,
        receipt: o.defer
          ? null
          : {
              provider: this.provider.name,
              channel: this.channel,
              inviteId: item.event.data.inviteId,
              providerMessageId: o.providerMessageId ?? null,
              event: o.failure ? 'failed' : 'accepted',
              occurredAt: this.clock.now().toISOString(),
              reason: o.failure ?? null,
              // One outcome per attempt: a recording retried after a commit whose answer was lost is a duplicate.
              providerEventId: `send-outcome:${item.event.data.inviteId}:${attempt}`,
              // A rejection's suppression (Twilio 21610 on send) is applied by the sender below, with its source.
              suppress: null,
            },
        correlationId: item.correlationId,
        fallback: o.fallback ? item : undefined,
        suppress: o.suppress,
        deadLetter: o.deadLetter,
        done,
        fail,
      });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.outcomes.length) {
        const batch = this.outcomes.splice(0, 500);
        try {
          for (const b of batch.filter((x) => x.deadLetter)) {
            await this.deadLetter(b.deadLetter!);
            b.deadLetter = undefined; // published: a retried recording doesn't publish it again
          }
          await this.uow.run(async (em) => {
            await this.statuses.applyReceipts(
              em,
              batch
                .filter((b) => b.receipt)
                .map((b) => ({ receipt: b.receipt!, correlationId: b.correlationId })),
            );
            await this.statuses.defer(
              em,
              batch
                .filter((b) => b.defer)
                .map((b) => ({
                  inviteId: b.item.event.data.inviteId,
                  attempt: b.attempt,
                  nextAttemptAt: b.defer!.at,
                  reason: b.defer!.reason,
                  correlationId: b.correlationId,
                })),
            );
            await this.suppressions.suppress(
              em,
              batch
                .filter((b) => b.suppress)
                .map((b) => ({
                  channel: this.channel,
                  address: b.item.event.data.recipient,
                  reason: b.suppress!,
                  source: `${this.provider.name} rejection`,
                })),
              this.clock.now(),
            );
            const fallbacks = batch.filter((b) => b.fallback && !b.suppress).map((b) => b.fallback!);
            if (fallbacks.length) {
              const dists = new Map(
                (
                  await this.distributionsOf(
                    em,
                    fallbacks.map((f) => f.event.data.distributionId),
                  )
                ).map((d) => [d.id, d]),
              );
              await this.fallBack(
                em,
                fallbacks.map((f) => ({ dispatch: f, dist: dists.get(f.event.data.distributionId)! })),
              );
            }
          });
          batch.forEach((b) => b.done());
        } catch (e) {
          batch.forEach((b) => b.fail(e));
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Channel fallback: a distribution may name the next channel to try when one fails permanently (e.g.
   * WhatsApp → SMS). The new invite answers the same rule action (so the rule waits for it instead of failing)
   * and goes to the contact's address on that channel; one fallback per invite.
   */
  private async fallBack(
    em: EntityManager,
    items: { dispatch: Dispatch; dist: DistributionEntity | undefined }[],
  ) {
    for (const { dispatch, dist } of items) {
      const next = dist?.fallback?.[this.channel];
      if (!next || next === this.channel) continue;
      const d = dispatch.event.data;
      const contact = (await this.cases.findById(d.caseId, em))?.contact;
      const to = next === 'email' ? contact?.email : contact?.phone;
      if (!to) {
        this.log.warn(`no ${next} address to fall back to for invite ${d.inviteId}`);
        continue;
      }
      const id = newId();
      if (!(await this.invites.insertFallback(em, d.inviteId, { id, channel: next, recipient: to })))
        continue;
      this.outbox.add(em, {
        topic: dispatchTopicFor[next],
        key: d.caseId,
        correlationId: dispatch.correlationId,
        data: { ...d, inviteId: id, channel: next, recipient: to },
      });
      withCorrelation(dispatch.correlationId, () =>
        this.log.log(
          `invite ${d.inviteId} failed on ${this.channel}; falling back to ${next} (invite ${id})`,
        ),
      );
    }
  }

  private async deadLetter(dl: NonNullable<Outcome['deadLetter']>) {
    const raw = encodeCloudEvent(dl.event, dl.event.data.caseId);
    await this.deadLetters.send({
      record: { topic: this.names.of(dispatchTopicFor[this.channel]), ...raw },
      consumer: `sender-${this.channel}`,
      reason: dl.reason,
      code: dl.code,
      inviteId: dl.event.data.inviteId,
    });
  }
}
