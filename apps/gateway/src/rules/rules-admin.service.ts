import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode, newId } from '@fg/common';
import { caseEventData, channel, inviteStatus, responseStatus } from '@fg/contracts';
import {
  DistributionRepository,
  RuleEntity,
  RuleEvaluationRepository,
  RuleRepository,
  RuleRunRepository,
} from '@fg/persistence';
import {
  ConditionTrace,
  RuleDefinition,
  SurveyState,
  SurveyStateService,
  caseView,
  condition,
  distributionRefs,
  evaluate,
  ruleAction,
} from '@fg/rules-core';
import { AccessService } from '../auth/access.service';
import { Principal } from '../auth/api-key.service';
import { distributionState } from '@fg/links';
import { UnitOfWork } from '@fg/messaging';

export const dryRunRequest = z
  .object({
    /** The trigger to evaluate for; defaults to the rule's own. */
    type: z.string().optional(),
    case: caseEventData,
    /** Our snapshot of the case before the event, if any (to compute what changed without `previous`). */
    stored: z
      .object({ fields: caseEventData.shape.fields, customFields: caseEventData.shape.customFields })
      .optional(),
    /** The case's survey state to assume; without it, the case's current state in the database is read. */
    survey: z
      .object({
        invites: z.array(
          z
            .object({
              distributionId: z.string().uuid(),
              channel,
              kind: z.enum(['invitation', 'reminder', 'thank_you']),
              status: inviteStatus,
              sentAt: z.coerce.date().nullable().default(null),
            })
            .strict(),
        ),
        responses: z.array(z.object({ distributionId: z.string().uuid(), status: responseStatus }).strict()),
      })
      .strict()
      .optional(),
    /** Evaluate as of this instant (time conditions); default now. */
    now: z.coerce.date().optional(),
  })
  .strict();
export type DryRunRequest = z.infer<typeof dryRunRequest>;

export const evaluationsQuery = z.object({
  caseId: z.string().min(1).max(200).optional(),
  ruleId: z.string().uuid().optional(),
  matched: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type EvaluationsQuery = z.infer<typeof evaluationsQuery>;

export interface DryRunResult {
  rule: { id: string; version: number; name: string; trigger: string; enabled: boolean };
  triggerMatches: boolean;
  matched: boolean;
  conditions: ConditionTrace;
  actions: { index: number; type: string; outcome: 'would run' }[];
}

interface StoredStep {
  index: number;
  action: { type: string };
  status: string;
  reason: string | null;
}

/** Rules as data: validated on save, every save a new version, no side effects in dry-run. */
@Injectable()
export class RulesAdminService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly surveys: SurveyStateService,
    private readonly rules: RuleRepository,
    private readonly distributions: DistributionRepository,
    private readonly access: AccessService,
    private readonly evaluationRows: RuleEvaluationRepository,
    private readonly runRows: RuleRunRepository,
  ) {}

  /** The rules the key may see: all of them, or those referencing only its surveys. */
  async list(by: Principal): Promise<RuleEntity[]> {
    const rules = await this.rules.list({ enabledOnly: false });
    if (!by.surveyIds) return rules;
    const surveys = await this.access.surveysOfRules(rules);
    return rules.filter((r) => this.access.allows(by, surveys.get(r.id) ?? []));
  }

  async get(id: string) {
    const rule = await this.rules.findById(id);
    if (!rule) throw new DomainError(ErrorCode.NOT_FOUND, `rule ${id} does not exist`);
    const versions = await this.rules.versions(id);
    return {
      ...rule,
      versions: versions.map((v) => ({
        version: v.version,
        createdBy: v.created_by,
        createdAt: v.created_at,
      })),
    };
  }

  /** One saved version of a rule, exactly as it was saved. */
  async version(id: string, version: number) {
    const row = await this.rules.version(id, version);
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `rule ${id} has no version ${version}`);
    return { id, version, ...row.definition, createdBy: row.created_by, createdAt: row.created_at };
  }

  async create(def: RuleDefinition, by: Principal) {
    const id = newId();
    await this.uow.run(async (em) => {
      await this.checkReferences(em, def);
      await this.rules.insert({ id, version: 1, ...def }, em);
      await this.recordVersion(em, id, 1, def, by.name);
    });
    return this.get(id);
  }

  async update(id: string, def: RuleDefinition, by: Principal) {
    await this.uow.run(async (em) => {
      const current = await this.lock(em, id);
      await this.checkReferences(em, def);
      const version = current.version + 1;
      await this.rules.update(id, { version, ...def }, em);
      await this.recordVersion(em, id, version, def, by.name);
    });
    return this.get(id);
  }

  async setEnabled(id: string, enabled: boolean, by: Principal) {
    await this.uow.run(async (em) => {
      const current = await this.lock(em, id);
      if (current.enabled === enabled) return;
      const def = { ...definitionOf(current), enabled };
      if (enabled) await this.checkReferences(em, def);
      const version = current.version + 1;
      await this.rules.update(id, { version, enabled }, em);
      await this.recordVersion(em, id, version, def, by.name);
    });
    return this.get(id);
  }

  /**
   * Evaluates the rule's current version against a sample case event (and the case's survey state, given or
   * read) and returns the trace with the actions that would run. Writes nothing.
   */
  async dryRun(id: string, req: DryRunRequest): Promise<DryRunResult> {
    const rule = await this.rules.findById(id);
    if (!rule) throw new DomainError(ErrorCode.NOT_FOUND, `rule ${id} does not exist`);
    const type = req.type ?? rule.trigger;
    const survey: SurveyState = req.survey
      ? {
          invites: req.survey.invites.map((i) => ({ ...i, createdAt: i.sentAt ?? new Date(0) })),
          responses: req.survey.responses,
        }
      : ((await this.surveys.load(this.ds.manager, [req.case.caseId])).get(req.case.caseId) ?? {
          invites: [],
          responses: [],
        });
    const view = caseView(req.case, req.stored ?? null);
    const trace = evaluate(condition.parse(rule.conditions), {
      ...view,
      survey,
      now: req.now ?? this.clock.now(),
    });
    const triggerMatches = type === rule.trigger;
    const matched = triggerMatches && rule.enabled && trace.result;
    const actions = z.array(ruleAction).parse(rule.actions);
    return {
      rule: {
        id: rule.id,
        version: rule.version,
        name: rule.name,
        trigger: rule.trigger,
        enabled: rule.enabled,
      },
      triggerMatches,
      matched,
      conditions: trace,
      actions: matched ? actions.map((a, index) => ({ index, ...a, outcome: 'would run' as const })) : [],
    };
  }

  /** The evaluation trace: each evaluation with the values its conditions saw, and its run's actions. */
  async evaluations(q: EvaluationsQuery, by: Principal) {
    const evaluations = await this.evaluationRows.list({
      ...(by.surveyIds ? { ruleIds: (await this.list(by)).map((r) => r.id) } : {}),
      caseId: q.caseId,
      ruleId: q.ruleId,
      matched: q.matched === undefined ? undefined : q.matched === 'true',
      limit: q.limit,
    });
    const runs = await this.runRows.byIds<StoredStep>(evaluations.flatMap((e) => (e.runId ? [e.runId] : [])));
    return evaluations.map(({ runId, ...e }) => {
      const run = runId ? runs.get(runId) : undefined;
      return {
        ...e,
        run: run
          ? {
              id: run.id,
              status: run.status,
              actions: run.steps.map(({ action, ...s }) => ({ ...s, type: action.type, action })),
            }
          : null,
      };
    });
  }

  private async lock(em: EntityManager, id: string): Promise<RuleEntity> {
    const rule = await this.rules.findForUpdate(id, em);
    if (!rule) throw new DomainError(ErrorCode.NOT_FOUND, `rule ${id} does not exist`);
    return rule;
  }

  /**
   * Only trigger-based, non-failed, non-expired distributions can be referenced (which surveys the key may touch
   * is checked before, by the AccessService);
   * each error names the part of the rule it is about. Saving an enabled rule activates draft distributions.
   */
  private async checkReferences(em: EntityManager, def: RuleDefinition) {
    const refs = distributionRefs(def);
    if (!refs.length) return;
    const found = new Map(
      (await this.distributions.findMany([...new Set(refs.map((r) => r.distributionId))], em)).map((d) => [
        d.id,
        d,
      ]),
    );
    const fields: { field: string; message: string }[] = [];
    for (const ref of refs) {
      const d = found.get(ref.distributionId);
      const field = `${ref.path}.distributionId`;
      if (!d) fields.push({ field, message: `distribution ${ref.distributionId} does not exist` });
      else if (['failed', 'expired'].includes(distributionState(d, this.clock.now())))
        fields.push({
          field,
          message: `distribution ${d.id} is ${distributionState(d, this.clock.now())}; rules can't reference it`,
        });
      else if (d.type !== 'trigger_personalized_link')
        fields.push({ field, message: `distribution ${d.id} is not trigger-based (${String(d.type)})` });
      else if (ref.surveyId && ref.surveyId !== d.surveyId)
        fields.push({
          field: `${ref.path}.surveyId`,
          message: `distribution ${d.id} belongs to survey ${d.surveyId}, not ${ref.surveyId}`,
        });
    }
    if (fields.length)
      throw new DomainError(ErrorCode.VALIDATION, fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
        fields,
      });
    if (def.enabled) await this.distributions.activateDrafts([...found.keys()], em);
  }

  private async recordVersion(
    em: EntityManager,
    id: string,
    version: number,
    def: RuleDefinition,
    by: string,
  ) {
    await this.rules.recordVersion(em, id, version, def, by);
  }
}

function definitionOf(r: RuleEntity): RuleDefinition {
  return {
    name: r.name,
    trigger: r.trigger,
    enabled: r.enabled,
    priority: r.priority,
    conditions: condition.parse(r.conditions),
    actions: z.array(ruleAction).parse(r.actions),
  };
}
