import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  CaseEventData,
  CloudEvent,
  InviteStatusChanged,
  ResponseStatusChanged,
  SurveyActionResult,
} from '@fg/contracts';
import { BatchContext } from '@fg/messaging';
import { RuleRunsService } from './rule-runs.service';
import { RuleTimersService } from './rule-timers.service';
import { RulesService } from './rules.service';

const keyOf = (e: CloudEvent) => `${e.source}#${e.id}`;
const correlationOf = (e: CloudEvent) => e.correlationid ?? e.id;

/** The rule engine's handlers: each gets a chunk of not-yet-handled events in one transaction. */
@Controller()
export class RulesConsumers {
  constructor(
    private readonly rules: RulesService,
    private readonly runs: RuleRunsService,
    private readonly timers: RuleTimersService,
  ) {}

  /** Case events: update the case snapshot, evaluate case rules. */
  @EventPattern('caseEvents', { consumer: 'rules' })
  async caseEvents(@Payload() events: CloudEvent<CaseEventData>[], @Ctx() { em }: BatchContext) {
    await this.rules.onCaseEvents(events, em);
  }

  /** Invite statuses: move runs waiting on their invite, schedule time-based re-evaluation, evaluate rules. */
  @EventPattern('inviteStatus', { consumer: 'rules-invite-status' })
  async inviteStatuses(@Payload() events: CloudEvent<InviteStatusChanged>[], @Ctx() { em }: BatchContext) {
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

  /** Response statuses: evaluate the rules they trigger (e.g. thank-you on Completed). */
  @EventPattern('responseStatus', { consumer: 'rules-response-status' })
  async responseStatuses(
    @Payload() events: CloudEvent<ResponseStatusChanged>[],
    @Ctx() { em }: BatchContext,
  ) {
    await this.rules.onSurveyEvents(
      em,
      'response.status.changed',
      events.map((e) => ({ caseId: e.data.caseId, eventKey: keyOf(e), correlationId: correlationOf(e) })),
    );
  }

  /** Results of survey actions: the runs that waited for them go on. */
  @EventPattern('surveyActionResults', { consumer: 'rules-action-results' })
  async actionResults(@Payload() events: CloudEvent<SurveyActionResult>[], @Ctx() { em }: BatchContext) {
    await this.runs.onResults(
      em,
      events.map((e) => e.data),
    );
  }
}
