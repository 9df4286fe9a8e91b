import { Module } from '@nestjs/common';
import { InvitesModule } from '@fg/invites';
import { LinksModule } from '@fg/links';
import { InviteService } from './invite.service';
import { LinkService } from './link.service';
import { SurveyActionsConsumer } from './survey-actions.consumer';

/** Issues the one personalized link per (distribution, case), writes it to the case, asks senders to deliver. */
@Module({
  imports: [InvitesModule, LinksModule],
  controllers: [SurveyActionsConsumer],
  providers: [LinkService, InviteService],
  exports: [LinkService],
})
export class LinkIssuerModule {}
