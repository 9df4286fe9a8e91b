import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CaseEventData, CloudEvent } from '@fg/contracts';
import { APP_CONFIG, AppConfig, Clock, Metrics, deterministicUuid, withCorrelation } from '@fg/common';
import { CaseRepository, CaseSnapshot, NewEvaluationRow, RuleEvaluationRepository } from '@fg/persistence';
import { CaseView, ConditionTrace, SurveyState, caseView, evaluate } from '@fg/rules-core';
import { LoadedRule, RuleCatalog } from './rule-catalog';
import { Run, RuleRunsService } from './rule-runs.service';
import { SurveyStateService } from '@fg/rules-core';

export interface RuleEvaluation {
  ruleId: string;
  version: number;
  name: string;
  matched: boolean;
  conditions: ConditionTrace;
  runId: string | null;
  note: string | null;
}

/** One case to evaluate some rules for, because of one trigger (an event or a timer). */
export interface EvaluationRequest {
  caseId: string;
  /** Identity of what triggered it (`source#id` of the event, `timer:<id>`): runs derive their ids from it. */
  eventKey: string;
  trigger: string;
  correlationId: string;
  /** How many rule actions in a row led here. */
  depth: number;
  view: CaseView;
  rules: LoadedRule[];
}

/** A case seen with no change: what survey events and timers evaluate rules against. */
const unchanged = (s: CaseSnapshot): CaseView => caseView({ fields: {}, customFields: {} }, s);

@Injectable()
export class RulesService {
  private readonly log = new Logger('Rules');

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly cases: CaseRepository,
    private readonly rules: RuleCatalog,
    private readonly surveys: SurveyStateService,
    private readonly runs: RuleRunsService,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly evaluationRows: RuleEvaluationRepository,
  ) {}

  async onCaseEvent(event: CloudEvent<CaseEventData>, em: EntityManager): Promise<RuleEvaluation[]> {
    return (await this.onCaseEvents([event], em))[0];
  }

  /**
   * Applies case events (in order) to our snapshots of the cases, then evaluates the enabled rules of each
   * event's trigger and starts a run for each match. Set-based: one locking read and one write of the
   * snapshots for the whole batch.
   */
  async onCaseEvents(events: CloudEvent<CaseEventData>[], em: EntityManager): Promise<RuleEvaluation[][]> {
    const snapshots = await this.cases.lockMany(em, [...new Set(events.map((e) => e.data.caseId))]);
    const touched = new Map<string, CaseSnapshot>();
    const requests: (EvaluationRequest | null)[] = [];
    for (const event of events) {
      const data = event.data;
      const stored = snapshots.get(data.caseId) ?? null;
      if (
        stored?.sourceVersion != null &&
        data.version !== undefined &&
        data.version <= Number(stored.sourceVersion)
      ) {
        this.log.log(
          `ignored stale case event ${event.id} (version ${data.version} ≤ ${stored.sourceVersion})`,
        );
        requests.push(null);
        continue;
      }
      const view = caseView(data, stored);
      const next: CaseSnapshot = {
        id: data.caseId,
        caseNumber: data.caseNumber ?? stored?.caseNumber ?? null,
        fields: view.fields,
        customFields: view.customFields,
        contact: data.contact ? { ...(stored?.contact ?? {}), ...data.contact } : (stored?.contact ?? null),
        sourceVersion: data.version !== undefined ? String(data.version) : (stored?.sourceVersion ?? null),
      };
      snapshots.set(data.caseId, next);
      touched.set(data.caseId, next);
      const rules = await this.rules.enabledFor(em, event.type);
      requests.push({
        caseId: data.caseId,
        eventKey: `${event.source}#${event.id}`,
        trigger: event.type,
        correlationId: event.correlationid ?? event.id,
        depth: event.ruledepth ?? 0,
        view,
        rules,
      });
    }
    await this.cases.upsertMany(em, [...touched.values()]);
    const done = await this.evaluateAll(
      em,
      requests.filter((r): r is EvaluationRequest => r !== null),
    );
    let i = 0;
    return requests.map((r) => (r ? done[i++] : []));
  }

  /** Survey events (invite or response status changed): rules of that trigger, for the cases we know. */
  async onSurveyEvents(
    em: EntityManager,
    trigger: 'invite.status.changed' | 'response.status.changed',
    events: { caseId: string; eventKey: string; correlationId: string }[],
  ): Promise<void> {
    const rules = await this.rules.enabledFor(em, trigger);
    if (!rules.length) return;
    const known = events.filter((e) => e.caseId);
    const snapshots = await this.cases.lockMany(em, [...new Set(known.map((e) => e.caseId))]);
    await this.evaluateAll(
      em,
      known
        .filter((e) => snapshots.has(e.caseId))
        .map((e) => ({
          ...e,
          trigger,
          depth: 0,
          view: unchanged(snapshots.get(e.caseId)!),
          rules,
        })),
    );
  }

  /** Timers that came due: each re-evaluates its rule (current version, if still enabled) for its case. */
  async onTimers(
    em: EntityManager,
    timers: { id: string; ruleId: string; caseId: string; correlationId: string | null }[],
  ): Promise<RuleEvaluation[][]> {
    const rules = await this.rules.byIds(em, [...new Set(timers.map((t) => t.ruleId))]);
    const snapshots = await this.cases.lockMany(em, [...new Set(timers.map((t) => t.caseId))]);
    const requests: EvaluationRequest[] = [];
    for (const t of timers) {
      const rule = rules.get(t.ruleId);
      const snapshot = snapshots.get(t.caseId);
      if (!rule?.enabled || !snapshot) continue;
      requests.push({
        caseId: t.caseId,
        eventKey: `timer:${t.id}`,
        trigger: 'timer',
        correlationId: t.correlationId ?? t.id,
        depth: 0,
        view: unchanged(snapshot),
        rules: [rule],
      });
    }
    return this.evaluateAll(em, requests);
  }

  /**
   * Evaluates each request's rules, records every evaluation (the trace operators read), and starts a run for
   * each match, unless the case got here through too many rule actions in a row: then the loop is cut there
   * and the cut is recorded and logged.
   */
  async evaluateAll(em: EntityManager, requests: EvaluationRequest[]): Promise<RuleEvaluation[][]> {
    if (!requests.length) return [];
    const needSurvey = requests.some((r) => r.rules.some((x) => x.usesSurvey));
    const states = needSurvey
      ? await this.surveys.load(em, [...new Set(requests.map((r) => r.caseId))])
      : new Map<string, SurveyState>();
    const now = this.clock.now();
    const rows: NewEvaluationRow[] = [];
    const runs: Run[] = [];
    const out: RuleEvaluation[][] = [];
    for (const req of requests) {
      const view: CaseView = { ...req.view, survey: states.get(req.caseId), now };
      const evaluations: RuleEvaluation[] = [];
      for (const rule of req.rules) {
        const trace = evaluate(rule.conditions, view);
        this.metrics.ruleEvaluations.inc({ trigger: req.trigger, matched: String(trace.result) });
        const ev: RuleEvaluation = {
          ruleId: rule.id,
          version: rule.version,
          name: rule.name,
          matched: trace.result,
          conditions: trace,
          runId: null,
          note: null,
        };
        if (trace.result && req.depth >= this.cfg.RULES_MAX_CHAIN_DEPTH) {
          ev.note = `loop cut: ${req.depth} rule actions in a row changed this case (limit ${this.cfg.RULES_MAX_CHAIN_DEPTH}, RULES_MAX_CHAIN_DEPTH); actions not run`;
          this.metrics.ruleChainCuts.inc();
          withCorrelation(req.correlationId, () =>
            this.log.warn(ev.note!, { caseId: req.caseId, ruleId: rule.id, version: rule.version }),
          );
        } else if (trace.result) {
          const run = this.runs.newRun({
            eventKey: req.eventKey,
            ruleId: rule.id,
            ruleVersion: rule.version,
            caseId: req.caseId,
            correlationId: req.correlationId,
            depth: req.depth,
            actions: rule.actions,
          });
          ev.runId = run.id;
          runs.push(run);
        }
        rows.push({
          id: deterministicUuid('evaluation', req.eventKey, rule.id, String(rule.version), req.caseId),
          case_id: req.caseId,
          rule_id: rule.id,
          rule_version: rule.version,
          trigger: req.trigger,
          event_id: req.eventKey,
          correlation_id: req.correlationId,
          matched: trace.result,
          conditions: trace,
          run_id: ev.runId,
          note: ev.note,
        });
        evaluations.push(ev);
      }
      if (evaluations.some((e) => e.matched))
        withCorrelation(req.correlationId, () =>
          this.log.log('rules evaluated', { caseId: req.caseId, trigger: req.trigger, evaluations }),
        );
      out.push(evaluations);
    }
    await this.evaluationRows.insertMany(em, rows, now);
    await this.runs.start(em, runs);
    return out;
  }
}
