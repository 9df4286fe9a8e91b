import { Module } from '@nestjs/common';
import { InvitesModule } from '@fg/invites';
import { InviteService } from './invite.service';
import { LinkService } from './link.service';
import { SurveyActionsConsumer } from './survey-actions.consumer';

/** Issues the one personalized link per (distribution, case), writes it to the case, asks senders to deliver. */
@Module({
  imports: [InvitesModule],
  providers: [LinkService, InviteService, SurveyActionsConsumer],
  exports: [LinkService],
})
export class LinkIssuerModule {}
