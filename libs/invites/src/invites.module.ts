import { Module } from '@nestjs/common';
import { InviteStatusService } from './invite-status.service';
import { QuarantineService } from './quarantine.service';
import { ResponseStatusService } from './response-status.service';
import { SuppressionService } from './suppression.service';
import { TemplateRepository } from './template.repository';

@Module({
  providers: [
    InviteStatusService,
    ResponseStatusService,
    SuppressionService,
    QuarantineService,
    TemplateRepository,
  ],
  exports: [
    InviteStatusService,
    ResponseStatusService,
    SuppressionService,
    QuarantineService,
    TemplateRepository,
  ],
})
export class InvitesModule {}
