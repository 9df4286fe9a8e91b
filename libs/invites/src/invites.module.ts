import { Module } from '@nestjs/common';
import { InviteStatusService } from './invite-status.service';
import { QuarantineService } from './quarantine.service';
import { SuppressionService } from './suppression.service';
import { TemplateRepository } from './template.repository';

@Module({
  providers: [InviteStatusService, SuppressionService, QuarantineService, TemplateRepository],
  exports: [InviteStatusService, SuppressionService, QuarantineService, TemplateRepository],
})
export class InvitesModule {}
