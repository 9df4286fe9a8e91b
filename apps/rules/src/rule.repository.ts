import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RuleEntity } from '@fg/persistence';
import { RuleDefinition, condition, ruleAction } from '@fg/rules-core';
import { z } from 'zod';

export interface LoadedRule {
  id: string;
  version: number;
  name: string;
  conditions: RuleDefinition['conditions'];
  actions: RuleDefinition['actions'];
}

@Injectable()
export class RuleRepository {
  /** Parsed rules by id and version: a version never changes, so parsing once is enough. */
  private readonly parsed = new Map<string, LoadedRule>();

  async enabledFor(em: EntityManager, trigger: string): Promise<LoadedRule[]> {
    const rows = await em.getRepository(RuleEntity).find({
      where: { trigger: trigger as RuleEntity['trigger'], enabled: true },
      order: { priority: 'ASC', createdAt: 'ASC' },
    });
    return rows.map((r) => {
      const key = `${r.id}@${r.version}`;
      let rule = this.parsed.get(key);
      if (!rule) {
        rule = {
          id: r.id,
          version: r.version,
          name: r.name,
          conditions: condition.parse(r.conditions),
          actions: z.array(ruleAction).parse(r.actions),
        };
        this.parsed.set(key, rule);
      }
      return rule;
    });
  }
}
