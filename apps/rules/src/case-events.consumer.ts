import { Injectable, OnModuleInit } from '@nestjs/common';
import { CaseEventData, CloudEvent } from '@fg/contracts';
import { BatchContext, EventHandler, HandlerContext, MessagingService } from '@fg/messaging';
import { RulesService } from './rules.service';

@Injectable()
export class CaseEventsConsumer implements EventHandler<'caseEvents'>, OnModuleInit {
  readonly topic = 'caseEvents' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly rules: RulesService,
  ) {}

  onModuleInit() {
    this.messaging.register('rules', this);
  }

  async handle(event: CloudEvent<CaseEventData>, ctx: HandlerContext): Promise<void> {
    await this.rules.onCaseEvent(event, ctx.em);
  }

  async handleBatch(events: CloudEvent<CaseEventData>[], ctx: BatchContext): Promise<void> {
    await this.rules.onCaseEvents(events, ctx.em);
  }
}
