import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fg/common';
import { InvitesModule } from '@fg/invites';
import { DispatchEmailConsumer } from './dispatch-email.consumer';
import { EmailSenderService } from './email-sender.service';
import { EmailProvider } from './providers/email.provider';
import { SandboxEmailProvider } from './providers/sandbox-email.provider';
import { SendGridEmailProvider } from './providers/sendgrid.provider';

/** Renders and sends survey emails: SendGrid when CHANNEL_PROVIDERS=live, the sandbox otherwise. */
@Module({
  imports: [InvitesModule],
  providers: [
    {
      provide: EmailProvider,
      inject: [APP_CONFIG, DataSource],
      useFactory: (cfg: AppConfig, ds: DataSource): EmailProvider =>
        cfg.CHANNEL_PROVIDERS === 'sandbox'
          ? new SandboxEmailProvider(ds)
          : new SendGridEmailProvider(cfg.SENDGRID_API_KEY!, cfg.SENDGRID_API_BASE_URL),
    },
    EmailSenderService,
    DispatchEmailConsumer,
  ],
})
export class SenderEmailModule {}
