import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  CaseEventData,
  CloudEvent,
  InviteStatusChanged,
  ResponseStatusChanged,
  SurveyActionResult,
} from '@fg/contracts';
import { BatchContext, EventHandler, HandlerContext, MessagingService } from '@fg/messaging';
import { RuleRunsService } from './rule-runs.service';
import { RuleTimersService } from './rule-timers.service';
import { RulesService } from './rules.service';

const keyOf = (e: CloudEvent) => `${e.source}#${e.id}`;
const correlationOf = (e: CloudEvent) => e.correlationid ?? e.id;

/** Case events: update the case snapshot, evaluate case rules. */
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

/** Invite statuses: move runs waiting on their invite, schedule time-based re-evaluation, evaluate rules. */
@Injectable()
export class InviteStatusConsumer implements EventHandler<'inviteStatus'>, OnModuleInit {
  readonly topic = 'inviteStatus' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly runs: RuleRunsService,
    private readonly timers: RuleTimersService,
    private readonly rules: RulesService,
  ) {}

  onModuleInit() {
    this.messaging.register('rules-invite-status', this);
  }

  handle(event: CloudEvent<InviteStatusChanged>, ctx: HandlerContext): Promise<void> {
    return this.handleBatch([event], ctx);
  }

  async handleBatch(events: CloudEvent<InviteStatusChanged>[], { em }: BatchContext): Promise<void> {
    await this.runs.onInviteStatuses(
      em,
      events.map((e) => e.data),
    );
    await this.timers.schedule(
      em,
      events.map((e) => ({ data: e.data, correlationId: correlationOf(e) })),
    );
    await this.rules.onSurveyEvents(
      em,
      'invite.status.changed',
      events.map((e) => ({ caseId: e.data.caseId, eventKey: keyOf(e), correlationId: correlationOf(e) })),
    );
  }
}

/** Response statuses: evaluate the rules they trigger (e.g. thank-you on Completed). */
@Injectable()
export class ResponseStatusConsumer implements EventHandler<'responseStatus'>, OnModuleInit {
  readonly topic = 'responseStatus' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly rules: RulesService,
  ) {}

  onModuleInit() {
    this.messaging.register('rules-response-status', this);
  }

  handle(event: CloudEvent<ResponseStatusChanged>, ctx: HandlerContext): Promise<void> {
    return this.handleBatch([event], ctx);
  }

  async handleBatch(events: CloudEvent<ResponseStatusChanged>[], { em }: BatchContext): Promise<void> {
    await this.rules.onSurveyEvents(
      em,
      'response.status.changed',
      events.map((e) => ({ caseId: e.data.caseId, eventKey: keyOf(e), correlationId: correlationOf(e) })),
    );
  }
}

/** Results of survey actions: the runs that waited for them go on. */
@Injectable()
export class ActionResultsConsumer implements EventHandler<'surveyActionResults'>, OnModuleInit {
  readonly topic = 'surveyActionResults' as const;

  constructor(
    private readonly messaging: MessagingService,
    private readonly runs: RuleRunsService,
  ) {}

  onModuleInit() {
    this.messaging.register('rules-action-results', this);
  }

  handle(event: CloudEvent<SurveyActionResult>, ctx: HandlerContext): Promise<void> {
    return this.handleBatch([event], ctx);
  }

  async handleBatch(events: CloudEvent<SurveyActionResult>[], { em }: BatchContext): Promise<void> {
    await this.runs.onResults(
      em,
      events.map((e) => e.data),
    );
  }
}
