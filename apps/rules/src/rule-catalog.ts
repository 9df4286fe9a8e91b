import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { z } from 'zod';
import { ReferenceCache, RuleEntity, RuleRepository, readThrough } from '@fg/persistence';
import { RuleDefinition, RuleTrigger, condition, ruleAction, timeConditions } from '@fg/rules-core';

export interface LoadedRule {
  id: string;
  version: number;
  name: string;
  trigger: RuleTrigger;
  enabled: boolean;
  conditions: RuleDefinition['conditions'];
  actions: RuleDefinition['actions'];
  /** The "last sent before" conditions: when to re-evaluate after a send. */
  timers: ReturnType<typeof timeConditions>;
  /** Has survey conditions: evaluating it needs the case's invites and responses. */
  usesSurvey: boolean;
}

/**
 * The rules app's view of the rules: parsed once per version, the enabled ones read once per transaction and kept
 * in the reference cache until a rule changes.
 */
@Injectable()
export class RuleCatalog {
  constructor(
    private readonly rules: RuleRepository,
    private readonly cache?: ReferenceCache,
  ) {}

  /** Parsed rules by id and version: a version never changes, so parsing once is enough. */
  private readonly parsed = new Map<string, LoadedRule>();

  /** Enabled rules, read once per transaction (a consumer batch or a timer tick), in evaluation order. */
  private readonly perTransaction = new WeakMap<EntityManager, Promise<LoadedRule[]>>();

  private enabled(em: EntityManager): Promise<LoadedRule[]> {
    let rules = this.perTransaction.get(em);
    if (!rules) {
      rules = readThrough(this.cache, 'rules', 'enabled', () =>
        this.rules.list({ enabledOnly: true }, em),
      ).then((rows) => rows.map((r) => this.load(r)));
      this.perTransaction.set(em, rules);
    }
    return rules;
  }

  async enabledFor(em: EntityManager, trigger: string): Promise<LoadedRule[]> {
    return (await this.enabled(em)).filter((r) => r.trigger === trigger);
  }

  /** Enabled rules with a "last sent before" condition (any trigger): they are re-evaluated on timers. */
  async timed(em: EntityManager): Promise<LoadedRule[]> {
    return (await this.enabled(em)).filter((r) => r.timers.length > 0);
  }

  async byIds(em: EntityManager, ids: string[]): Promise<Map<string, LoadedRule>> {
    if (!ids.length) return new Map();
    const rows = await this.rules.byIds(ids, em);
    return new Map(rows.map((r) => [r.id, this.load(r)]));
  }

  private load(r: RuleEntity): LoadedRule {
    const key = `${r.id}@${r.version}`;
    let rule = this.parsed.get(key);
    if (!rule) {
      const conditions = condition.parse(r.conditions);
      rule = {
        id: r.id,
        version: r.version,
        name: r.name,
        trigger: r.trigger,
        enabled: r.enabled,
        conditions,
        actions: z.array(ruleAction).parse(r.actions),
        timers: timeConditions(conditions),
        usesSurvey: JSON.stringify(conditions).includes('"survey":'),
      };
      this.parsed.set(key, rule);
    }
    return rule;
  }
}
