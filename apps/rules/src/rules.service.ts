import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CaseEventData, CloudEvent, SurveyActionKind } from '@fg/contracts';
import { deterministicUuid, withCorrelation } from '@fg/common';
import { OutboxService } from '@fg/messaging';
import { ConditionTrace, caseView, evaluate } from '@fg/rules-core';
import { CaseRepository, CaseSnapshot } from './case.repository';
import { RuleAction } from '@fg/rules-core';
import { LoadedRule, RuleRepository } from './rule.repository';

const KIND: Record<RuleAction['type'], SurveyActionKind> = {
  issue_link: 'issue_link',
  send_invitation: 'invitation',
  send_reminder: 'reminder',
  send_thank_you: 'thank_you',
};

export interface RuleEvaluation {
  ruleId: string;
  version: number;
  name: string;
  matched: boolean;
  conditions: ConditionTrace;
  actions: { type: string; actionId: string; outcome: string }[];
}

@Injectable()
export class RulesService {
  private readonly log = new Logger('Rules');

  constructor(
    private readonly cases: CaseRepository,
    private readonly rules: RuleRepository,
    private readonly outbox: OutboxService,
  ) {}

  async onCaseEvent(event: CloudEvent<CaseEventData>, em: EntityManager): Promise<RuleEvaluation[]> {
    return (await this.onCaseEvents([event], em))[0];
  }

  /**
   * Applies case events (in order) to our snapshots of the cases, evaluates the enabled rules for each
   * event's trigger, and asks for each matching rule's actions in the order written. Action ids derive from
   * the event id, so a replayed event asks for the same actions again and downstream de-duplicates them.
   * Set-based: one locking read and one write for all cases of the batch.
   */
  async onCaseEvents(events: CloudEvent<CaseEventData>[], em: EntityManager): Promise<RuleEvaluation[][]> {
    const snapshots = await this.cases.lockMany(em, [...new Set(events.map((e) => e.data.caseId))]);
    const rulesByTrigger = new Map<string, LoadedRule[]>();
    const touched = new Map<string, CaseSnapshot>();
    const out: RuleEvaluation[][] = [];
    for (const event of events) {
      const data = event.data;
      const correlationId = event.correlationid ?? event.id;
      const stored = snapshots.get(data.caseId) ?? null;
      if (
        stored?.sourceVersion != null &&
        data.version !== undefined &&
        data.version <= Number(stored.sourceVersion)
      ) {
        this.log.log(
          `ignored stale case event ${event.id} (version ${data.version} ≤ ${stored.sourceVersion})`,
        );
        out.push([]);
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

      let rules = rulesByTrigger.get(event.type);
      if (!rules) {
        rules = await this.rules.enabledFor(em, event.type);
        rulesByTrigger.set(event.type, rules);
      }
      const evaluations: RuleEvaluation[] = [];
      for (const rule of rules) {
        const trace = evaluate(rule.conditions, view);
        const ev: RuleEvaluation = {
          ruleId: rule.id,
          version: rule.version,
          name: rule.name,
          matched: trace.result,
          conditions: trace,
          actions: [],
        };
        if (trace.result) {
          rule.actions.forEach((action, index) => {
            const actionId = deterministicUuid(
              event.source,
              event.id,
              rule.id,
              String(rule.version),
              String(index),
            );
            this.outbox.add(em, {
              topic: 'surveyActions',
              key: data.caseId,
              correlationId,
              data: {
                actionId,
                ruleId: rule.id,
                ruleVersion: rule.version,
                caseId: data.caseId,
                distributionId: action.distributionId,
                kind: KIND[action.type],
                ...(action.type !== 'issue_link'
                  ? { channel: action.channel, language: action.language, linkField: action.linkField }
                  : { linkField: action.linkField }),
              },
            });
            ev.actions.push({ type: action.type, actionId, outcome: 'requested' });
          });
        }
        evaluations.push(ev);
      }
      if (evaluations.some((e) => e.matched))
        withCorrelation(correlationId, () =>
          this.log.log('rules evaluated', { caseId: data.caseId, evaluations }),
        );
      out.push(evaluations);
    }
    await this.cases.upsertMany(em, [...touched.values()]);
    return out;
  }
}
