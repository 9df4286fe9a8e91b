import { DomainError, ErrorCode } from '@fg/common';
import type { Channel, DispatchRequested } from '@fg/contracts';
import type { DistributionEntity, TemplateEntity } from '@fg/persistence';
import { TemplateRenderer } from '@fg/templates';
import type { OutgoingMessage } from './messages';

const renderer = new TemplateRenderer();

/** The values a message may use: the case and profile data bound to the link, the link, the tags. */
export function variablesOf(
  d: Pick<DispatchRequested, 'variables' | 'link'> & { unsubscribe?: Unsubscribe },
): Record<string, unknown> {
  return {
    ...d.variables,
    survey_link: d.link.url,
    survey_link_expires_at: d.link.expiresAt ?? '',
    ...(d.unsubscribe ? { unsubscribe_url: d.unsubscribe.url } : {}),
  };
}

/** Where the recipient unsubscribes: the signed one-click URL, and a mailbox if the operator has one. */
export interface Unsubscribe {
  url: string;
  mailto?: string;
}

/**
 * RFC 8058 one-click unsubscribe (required by Gmail and Yahoo from bulk senders): `List-Unsubscribe` with the
 * signed HTTPS URL (and the mailbox), `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
 */
export function listUnsubscribeHeaders(u: Unsubscribe): Record<string, string> {
  return {
    'List-Unsubscribe': [
      `<${u.url}>`,
      ...(u.mailto ? [`<mailto:${u.mailto}?subject=unsubscribe>`] : []),
    ].join(', '),
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

const noAccount = (channel: Channel, what: string) =>
  new DomainError(ErrorCode.VALIDATION, `NO_SENDER_ACCOUNT: the distribution has no ${channel} ${what}`);

/**
 * Renders a distribution's template into the message its channel sends. Every failure is a DomainError whose
 * message starts with a reason code (TEMPLATE_MISSING_VALUE, NO_SENDER_ACCOUNT, …): shown at preview, recorded
 * as the invite's reason at send. Never "Hi ," in a customer's inbox.
 */
export function composeMessage(
  channel: Channel,
  template: TemplateEntity,
  dist: DistributionEntity,
  d: Pick<DispatchRequested, 'inviteId' | 'recipient' | 'variables' | 'link' | 'useDistributionAccount'> & {
    unsubscribe?: Unsubscribe;
  },
): OutgoingMessage {
  const vars = variablesOf(d);
  if (d.useDistributionAccount === false)
    dist = conversationAccount(channel, dist, d.variables.conversation_account);
  const render = (source: string | null, part: string, html = false) => {
    try {
      return renderer.render(source ?? '', vars, { html, part });
    } catch (e) {
      if (e instanceof DomainError) throw new DomainError(e.code, `${e.code}: ${e.message}`, e.details);
      throw e;
    }
  };
  switch (channel) {
    case 'email': {
      const from = dist.accounts.email;
      if (!from?.fromEmail) throw noAccount('email', 'sender identity');
      return {
        channel,
        inviteId: d.inviteId,
        to: d.recipient,
        from: { email: from.fromEmail, ...(from.fromName ? { name: from.fromName } : {}) },
        subject: render(template.subject, 'subject'),
        html: render(template.html, 'html body', true),
        text: render(template.text, 'text body'),
        ...(d.unsubscribe ? { headers: listUnsubscribeHeaders(d.unsubscribe) } : {}),
      };
    }
    case 'sms': {
      const acc = dist.accounts.sms;
      if (!acc?.from && !acc?.messagingServiceSid) throw noAccount('sms', 'number or messaging service');
      return {
        channel,
        inviteId: d.inviteId,
        to: d.recipient,
        ...(acc.messagingServiceSid ? { messagingServiceSid: acc.messagingServiceSid } : { from: acc.from }),
        body: render(template.text, 'text'),
      };
    }
    case 'whatsapp': {
      const acc = dist.accounts.whatsapp;
      if (!acc?.from) throw noAccount('whatsapp', 'sender');
      const base = { channel, inviteId: d.inviteId, to: d.recipient, from: acc.from } as const;
      if (template.contentSid) {
        const contentVariables: Record<string, string> = {};
        for (const [k, source] of Object.entries(template.contentVariables ?? {}))
          contentVariables[k] = render(source, `content variable ${k}`);
        return { ...base, contentSid: template.contentSid, contentVariables };
      }
      return { ...base, body: render(template.text, 'text') };
    }
  }
}

/**
 * "Use distribution configured account: no": the message goes out from the account the customer talked to,
 * which the case carries in its `conversation_account` field (a number, WhatsApp sender or e-mail address).
 */
function conversationAccount(
  channel: Channel,
  dist: DistributionEntity,
  account: unknown,
): DistributionEntity {
  if (typeof account !== 'string' || !account.trim())
    throw new DomainError(
      ErrorCode.VALIDATION,
      'NO_CONVERSATION_ACCOUNT: the case has no conversation_account to send from',
    );
  const a = account.trim();
  const accounts =
    channel === 'email'
      ? { email: { ...dist.accounts.email, fromEmail: a } }
      : channel === 'sms'
        ? { sms: { from: a, ratePerSecond: dist.accounts.sms?.ratePerSecond } }
        : {
            whatsapp: {
              from: a.replace(/^whatsapp:/, ''),
              ratePerSecond: dist.accounts.whatsapp?.ratePerSecond,
            },
          };
  return { ...dist, accounts: { ...dist.accounts, ...accounts } };
}

const GSM_7 =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_7_EXT = '^{}\\[~]|€\f';

/** How an SMS body is billed: encoding, characters and segments (153 GSM-7 / 67 UCS-2 per part when split). */
export function smsSegments(body: string): {
  encoding: 'GSM-7' | 'UCS-2';
  characters: number;
  segments: number;
} {
  const chars = [...body];
  const gsm = chars.every((c) => GSM_7.includes(c) || GSM_7_EXT.includes(c));
  if (gsm) {
    const units = chars.reduce((n, c) => n + (GSM_7_EXT.includes(c) ? 2 : 1), 0);
    return { encoding: 'GSM-7', characters: units, segments: units <= 160 ? 1 : Math.ceil(units / 153) };
  }
  const units = body.length; // UTF-16 code units
  return { encoding: 'UCS-2', characters: units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
