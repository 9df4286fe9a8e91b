import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Scalar } from '@fg/contracts';
import { OutboxService } from '@fg/messaging';
import { CaseRepository } from '@fg/persistence';

/** Case fields set by rule actions. */
@Injectable()
export class CaseFieldsService {
  constructor(
    private readonly cases: CaseRepository,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * A rule action sets a case field (`status`, `custom.x`): our snapshot changes now, the CRM is told on
   * `case.field-updates`, and a `case.updated` event (one rule hop deeper) lets other rules react to it.
   * Returns false when the field already had the value (nothing is published, so no loop starts).
   */
  async applyFieldChange(
    em: EntityManager,
    c: { caseId: string; ref: string; value: Scalar; depth: number; correlationId: string },
  ): Promise<boolean> {
    const custom = c.ref.startsWith('custom.');
    const name = custom ? c.ref.slice(7) : c.ref;
    const column = custom ? 'custom_fields' : 'fields';
    const before = await this.cases.fieldForUpdate(em, c.caseId, column, name);
    if (before === undefined || before === c.value) return false;
    await this.cases.setField(em, c.caseId, column, name, c.value);
    this.outbox.add(em, {
      topic: 'caseFieldUpdates',
      key: c.caseId,
      correlationId: c.correlationId,
      data: { caseId: c.caseId, field: c.ref, value: c.value, reason: 'rule_action' },
    });
    this.outbox.add(em, {
      topic: 'caseEvents',
      type: 'case.updated',
      key: c.caseId,
      correlationId: c.correlationId,
      ruleDepth: c.depth,
      data: {
        caseId: c.caseId,
        fields: custom ? {} : { [name]: c.value },
        customFields: custom ? { [name]: c.value } : {},
        previous: { [c.ref]: before },
      },
    });
    return true;
  }
}
