import { Module } from '@nestjs/common';
import { RulesConsumers } from './consumers';
import { CaseFieldsService } from './case-fields.service';
import { RuleCatalog } from './rule-catalog';
import { RuleRunsService } from './rule-runs.service';
import { RuleTimersService } from './rule-timers.service';
import { RulesService } from './rules.service';
import { SurveyStateService } from '@fg/rules-core';

/**
 * The rule engine: consumes case events, invite and response statuses and action results; runs each matched
 * rule's actions in order; fires time-based re-evaluations.
 */
@Module({
  controllers: [RulesConsumers],
  providers: [
    CaseFieldsService,
    RuleCatalog,
    SurveyStateService,
    RuleRunsService,
    RulesService,
    RuleTimersService,
  ],
  exports: [RulesService, RuleTimersService],
})
export class RulesModule {}
