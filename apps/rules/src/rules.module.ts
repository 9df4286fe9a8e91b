import { Module } from '@nestjs/common';
import { CaseEventsConsumer } from './case-events.consumer';
import { CaseRepository } from './case.repository';
import { RuleRepository } from './rule.repository';
import { RulesService } from './rules.service';

/** The rule engine: consumes case events, asks for survey actions. */
@Module({
  providers: [CaseRepository, RuleRepository, RulesService, CaseEventsConsumer],
  exports: [RulesService],
})
export class RulesModule {}
