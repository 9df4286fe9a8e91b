import { Module } from '@nestjs/common';
import { InviteStatusService } from './invite-status.service';
import { QuarantineService } from './quarantine.service';
import { SuppressionService } from './suppression.service';
import { TemplateResolver } from './template-resolver';

@Module({
  providers: [InviteStatusService, SuppressionService, QuarantineService, TemplateResolver],
  exports: [InviteStatusService, SuppressionService, QuarantineService, TemplateResolver],
})
export class InvitesModule {}
