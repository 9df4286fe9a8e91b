import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { z } from 'zod';
import { DomainError, ErrorCode, newId } from '@fg/common';
import { caseEventData } from '@fg/contracts';
import { DistributionEntity, RuleEntity } from '@fg/persistence';
import { ConditionTrace, RuleDefinition, caseView, condition, evaluate, ruleAction } from '@fg/rules-core';

export const dryRunRequest = z
  .object({
    /** The case event to evaluate against; `type` defaults to the rule's trigger. */
    type: z.enum(['case.created', 'case.updated']).optional(),
    case: caseEventData,
    /** Our snapshot of the case before the event, if any (to compute what changed without `previous`). */
    stored: z
      .object({ fields: caseEventData.shape.fields, customFields: caseEventData.shape.customFields })
      .optional(),
  })
  .strict();
export type DryRunRequest = z.infer<typeof dryRunRequest>;

export interface DryRunResult {
  rule: { id: string; version: number; name: string; trigger: string };
  triggerMatches: boolean;
  matched: boolean;
  conditions: ConditionTrace;
  actions: {
    index: number;
    type: string;
    distributionId: string;
    channel?: string;
    outcome: 'would request';
  }[];
}

interface VersionRow {
  version: number;
  created_by: string | null;
  created_at: Date;
}

/** Rules as data: validated on save, every save a new version, no side effects in dry-run. */
@Injectable()
export class RulesAdminService {
  constructor(private readonly ds: DataSource) {}

  list(): Promise<RuleEntity[]> {
    return this.ds.getRepository(RuleEntity).find({ order: { priority: 'ASC', createdAt: 'ASC' } });
  }

  async get(id: string) {
    const rule = await this.ds.getRepository(RuleEntity).findOneBy({ id });
    if (!rule) throw new DomainError(ErrorCode.NOT_FOUND, `rule ${id} does not exist`);
    const versions: VersionRow[] = await this.ds.query(
      `SELECT version, created_by, created_at FROM rule_versions WHERE rule_id = $1 ORDER BY version DESC`,
      [id],
    );
    return {
      ...rule,
      versions: versions.map((v) => ({
        version: v.version,
        createdBy: v.created_by,
        createdAt: v.created_at,
      })),
    };
  }

  async create(def: RuleDefinition, by: string) {
    const id = newId();
    await this.ds.transaction(async (em) => {
      await this.checkReferences(em, def);
      await em.getRepository(RuleEntity).insert({ id, version: 1, ...def });
      await this.recordVersion(em, id, 1, def, by);
    });
    return this.get(id);
  }

  async update(id: string, def: RuleDefinition, by: string) {
    await this.ds.transaction(async (em) => {
      const current = await this.lock(em, id);
      await this.checkReferences(em, def);
      const version = current.version + 1;
      await em.getRepository(RuleEntity).update(id, { version, ...def });
      await this.recordVersion(em, id, version, def, by);
    });
    return this.get(id);
  }

  async setEnabled(id: string, enabled: boolean, by: string) {
    await this.ds.transaction(async (em) => {
      const current = await this.lock(em, id);
      if (current.enabled === enabled) return;
      const version = current.version + 1;
      await em.getRepository(RuleEntity).update(id, { version, enabled });
      await this.recordVersion(em, id, version, { ...definitionOf(current), enabled }, by);
    });
    return this.get(id);
  }

  /** Evaluates the rule's current version against a sample case event and returns the trace. Writes nothing. */
  async dryRun(id: string, req: DryRunRequest): Promise<DryRunResult> {
    const rule = await this.ds.getRepository(RuleEntity).findOneBy({ id });
    if (!rule) throw new DomainError(ErrorCode.NOT_FOUND, `rule ${id} does not exist`);
    const type = req.type ?? rule.trigger;
    const trace = evaluate(
      condition.parse(rule.conditions),
      caseView(
        req.case,
        req.stored ? { fields: req.stored.fields, customFields: req.stored.customFields } : null,
      ),
    );
    const triggerMatches = type === rule.trigger;
    const matched = triggerMatches && rule.enabled && trace.result;
    const actions = z.array(ruleAction).parse(rule.actions);
    return {
      rule: { id: rule.id, version: rule.version, name: rule.name, trigger: rule.trigger },
      triggerMatches,
      matched,
      conditions: trace,
      actions: matched
        ? actions.map((a, index) => ({
            index,
            type: a.type,
            distributionId: a.distributionId,
            channel: 'channel' in a ? a.channel : undefined,
            outcome: 'would request' as const,
          }))
        : [],
    };
  }

  private async lock(em: EntityManager, id: string): Promise<RuleEntity> {
    const rule = await em
      .getRepository(RuleEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!rule) throw new DomainError(ErrorCode.NOT_FOUND, `rule ${id} does not exist`);
    return rule;
  }

  /** Only existing, non-failed, non-expired distributions can be referenced; the error names the action. */
  private async checkReferences(em: EntityManager, def: RuleDefinition) {
    const ids = [...new Set(def.actions.map((a) => a.distributionId))];
    const found = new Map(
      (await em.getRepository(DistributionEntity).findBy({ id: In(ids) })).map((d) => [d.id, d]),
    );
    const fields: { field: string; message: string }[] = [];
    def.actions.forEach((a, i) => {
      const d = found.get(a.distributionId);
      if (!d)
        fields.push({
          field: `actions.${i}.distributionId`,
          message: `distribution ${a.distributionId} does not exist`,
        });
      else if (d.status === 'failed' || d.status === 'expired')
        fields.push({
          field: `actions.${i}.distributionId`,
          message: `distribution ${a.distributionId} is ${d.status}; rules can't reference it`,
        });
    });
    if (fields.length)
      throw new DomainError(ErrorCode.VALIDATION, fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
        fields,
      });
  }

  private async recordVersion(
    em: EntityManager,
    id: string,
    version: number,
    def: RuleDefinition,
    by: string,
  ) {
    await em.query(
      `INSERT INTO rule_versions (rule_id, version, definition, created_by) VALUES ($1, $2, $3::jsonb, $4)`,
      [id, version, JSON.stringify(def), by],
    );
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
