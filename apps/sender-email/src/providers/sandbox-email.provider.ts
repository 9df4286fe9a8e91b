import { DataSource } from 'typeorm';
import { newId } from '@fg/common';
import { SandboxMessageEntity } from '@fg/persistence';
import { EmailMessage, EmailProvider, SendResult } from './email.provider';

/** Keeps messages in the database instead of sending them (embedded mode); listed at GET /ops/sandbox/messages. */
export class SandboxEmailProvider extends EmailProvider {
  readonly name = 'sandbox' as const;

  constructor(private readonly ds: DataSource) {
    super();
  }

  async send(m: EmailMessage): Promise<SendResult> {
    const id = newId();
    await this.ds.getRepository(SandboxMessageEntity).insert({
      id,
      channel: 'email',
      inviteId: m.inviteId,
      to: m.to,
      from: m.from.email,
      subject: m.subject,
      text: m.text,
      html: m.html,
    });
    return { providerMessageId: `sandbox-${id}` };
  }
}
