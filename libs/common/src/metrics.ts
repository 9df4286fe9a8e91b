import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per process, with the pipeline's own counters. */
export class Metrics {
  readonly registry = new Registry();
  readonly consumed = new Counter({
    name: 'fg_messages_consumed_total',
    help: 'Messages handled by a consumer, by topic and outcome',
    labelNames: ['group', 'topic', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: 'fg_messages_published_total',
    help: 'Messages published from the outbox, by topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly handlerSeconds = new Histogram({
    name: 'fg_handler_batch_seconds',
    help: 'Time to handle one consumed batch',
    labelNames: ['group', 'topic'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly providerCalls = new Counter({
    name: 'fg_provider_calls_total',
    help: 'Calls to channel providers, by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly outcomeRecordRetries = new Counter({
    name: 'fg_send_outcome_record_retries_total',
    help: "Retries of recording a provider's answer while the database could not take it (never a second send)",
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'fg_dead_letters_total',
    help: 'Records given up on (kept for redrive), by source topic and reason code',
    labelNames: ['topic', 'code'] as const,
    registers: [this.registry],
  });
  readonly sendsDeferred = new Counter({
    name: 'fg_sends_deferred_total',
    help: 'Sends put off to a later attempt, by channel and why (provider unavailable, circuit open, quiet hours)',
    labelNames: ['channel', 'why'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'fg_webhook_deliveries_total',
    help: 'Outbound webhook attempts, by outcome (succeeded, retry, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly circuitState = new Gauge({
    name: 'fg_provider_circuit_open',
    help: "1 while a provider account's circuit breaker is open (its channel's dispatches are paused)",
    labelNames: ['channel', 'provider'] as const,
    registers: [this.registry],
  });

  readonly ruleEvaluations = new Counter({
    name: 'fg_rule_evaluations_total',
    help: 'Rule evaluations, by trigger and whether the rule matched',
    labelNames: ['trigger', 'matched'] as const,
    registers: [this.registry],
  });
  readonly ruleChainCuts = new Counter({
    name: 'fg_rule_chain_cuts_total',
    help: 'Rule evaluations whose actions were not run because rules kept triggering each other',
    registers: [this.registry],
  });
  readonly ruleTimersFired = new Counter({
    name: 'fg_rule_timers_fired_total',
    help: 'Time-based rule re-evaluations that came due',
    registers: [this.registry],
  });

  readonly funnel = new Counter({
    name: 'fg_funnel_total',
    help: 'Invitations reaching each funnel stage (issued, sent, delivered, opened, survey_opened, started, completed), by distribution and channel',
    labelNames: ['distribution_id', 'stage', 'channel'] as const,
    registers: [this.registry],
  });
  readonly notSent = new Counter({
    name: 'fg_invites_not_sent_total',
    help: 'Invites that did not go out (Failed, Suppressed, Quarantined, Unsubscribed), by distribution, channel, kind and reason code',
    labelNames: ['distribution_id', 'channel', 'kind', 'status', 'reason_code'] as const,
    registers: [this.registry],
  });

  constructor(app: string) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
  }
}
