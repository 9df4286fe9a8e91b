import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { InviteStatusChanged } from '@fg/contracts';
import { APP_CONFIG, AppConfig, Clock, Metrics, deterministicUuid } from '@fg/common';
import { UnitOfWork } from '@fg/messaging';
import { durationMs } from '@fg/rules-core';
import {
  NewTimerRow,
  RuleEvaluationRepository,
  RuleRunRepository,
  RuleTimerRepository,
} from '@fg/persistence';
import { RuleCatalog } from './rule-catalog';
import { RulesService } from './rules.service';

const PAGE = 200;
const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_CHUNK = 5000;

/**
 * Time-based rules ("last sent before 2 days") fire without waiting for another case update: when an
 * invitation or reminder goes out, a timer row is written for each moment a rule refers to. Timers live in
 * Postgres (none is lost on a restart) and are claimed with SKIP LOCKED (several instances never fire the
 * same one); the claim, the evaluation and its actions commit together.
 */
@Injectable()
export class RuleTimersService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('RuleTimers');
  private handle?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private lastPrune = 0;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly rules: RuleCatalog,
    private readonly evaluator: RulesService,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly timers: RuleTimerRepository,
    private readonly evaluations: RuleEvaluationRepository,
    private readonly runs: RuleRunRepository,
  ) {}

  /** Schedules re-evaluations for the rules whose "last sent before" conditions refer to these sends. */
  async schedule(
    em: EntityManager,
    sends: { data: InviteStatusChanged; correlationId: string }[],
  ): Promise<void> {
    const sent = sends.filter((e) => e.data.status === 'Invite Sent' && e.data.kind !== 'thank_you');
    if (!sent.length) return;
    const timed = await this.rules.timed(em);
    const rows: NewTimerRow[] = [];
    for (const { data: e, correlationId } of sent)
      for (const rule of timed)
        for (const t of rule.timers) {
          if (t.distributionId !== e.distributionId || (t.channel && t.channel !== e.channel)) continue;
          const due = new Date(Date.parse(e.occurredAt) + durationMs(t.amount, t.unit)).toISOString();
          rows.push({
            id: deterministicUuid('timer', rule.id, e.caseId, due),
            rule_id: rule.id,
            case_id: e.caseId,
            due_at: due,
            reason: `${e.kind} ${e.inviteId} sent at ${e.occurredAt}; "last sent before ${t.amount} ${t.unit}"`,
            correlation_id: correlationId,
          });
        }
    if (!rows.length) return;
    await this.timers.insertMany(em, rows);
  }

  /**
   * Deletes evaluations, finished runs and fired timers older than RULES_TRACE_RETENTION_DAYS, in chunks so
   * no statement holds locks for long. Runs still waiting for an action are kept whatever their age.
   */
  async prune(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.cfg.RULES_TRACE_RETENTION_DAYS * 86_400_000);
    const targets = [
      (em: EntityManager) => this.evaluations.prune(em, before, PRUNE_CHUNK),
      (em: EntityManager) => this.runs.pruneFinished(em, before, PRUNE_CHUNK),
      (em: EntityManager) => this.timers.pruneFired(em, before, PRUNE_CHUNK),
    ];
    let total = 0;
    for (const prune of targets)
      for (;;) {
        const n = await this.uow.run(prune);
        total += n;
        if (n < PRUNE_CHUNK) break;
      }
    return total;
  }

  onApplicationBootstrap() {
    this.arm(0);
  }

  async onModuleDestroy() {
    this.stopped = true;
    if (this.handle) clearTimeout(this.handle);
    await this.running;
  }

  private arm(ms: number) {
    if (this.stopped) return;
    this.handle = setTimeout(() => {
      this.running = this.tick()
        .catch((e: Error) => {
          this.log.error(`timer poll failed: ${e.message}`);
          return 0;
        })
        .then((n) => this.arm(n === PAGE ? 0 : this.cfg.RULES_TIMER_POLL_MS));
    }, ms);
  }

  /** Fires the timers that are due (and, once an hour, prunes old traces); returns how many fired. */
  async tick(): Promise<number> {
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.prune();
    }
    const fired = await this.uow.run(async (em) => {
      const due = await this.timers.claimDue(em, this.clock.now(), PAGE);
      if (!due.length) return 0;
      await this.evaluator.onTimers(em, due);
      await this.timers.markFired(
        em,
        due.map((t) => t.id),
        this.clock.now(),
      );
      return due.length;
    });
    if (fired) {
      this.metrics.ruleTimersFired.inc(fired);
    }
    return fired;
  }
}
