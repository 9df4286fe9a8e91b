import { Module } from '@nestjs/common';
import { InviteStatusService } from './invite-status.service';
import { ResponseStatusService } from './response-status.service';
import { TemplateRepository } from './template.repository';

@Module({
  providers: [InviteStatusService, ResponseStatusService, TemplateRepository],
  exports: [InviteStatusService, ResponseStatusService, TemplateRepository],
})
export class InvitesModule {}
