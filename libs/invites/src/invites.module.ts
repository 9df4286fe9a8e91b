import { Module } from '@nestjs/common';
import { InviteStatusService } from './invite-status.service';
import { TemplateRepository } from './template.repository';

@Module({
  providers: [InviteStatusService, TemplateRepository],
  exports: [InviteStatusService, TemplateRepository],
})
export class InvitesModule {}
