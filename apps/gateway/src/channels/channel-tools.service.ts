import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode, newId } from '@fg/common';
import { Channel, channel, contact, dispatchTopicFor, caseEventData } from '@fg/contracts';
import { DistributionEntity, TemplateEntity } from '@fg/persistence';
import { LinkTokens, normalizeAddress, transactionData } from '@fg/invites';
import { MessagingService, OutboxService } from '@fg/messaging';
import { composeMessage, smsSegments } from '@fg/senders';
import { TemplateRenderer } from '@fg/templates';

const kind = z.enum(['invitation', 'reminder', 'thank_you']);
const language = z
  .string()
  .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/, 'a language code, e.g. "en" or "fr-CA"');

export const templateBody = z
  .object({
    channel,
    kind,
    language,
    subject: z.string().max(998).optional(),
    html: z.string().max(500_000).optional(),
    text: z.string().max(100_000).optional(),
    contentSid: z
      .string()
      .regex(/^HX[0-9a-fA-F]{32}$/, 'a Twilio Content SID (HX + 32 hex digits)')
      .optional(),
    contentVariables: z
      .record(z.string().regex(/^\d{1,2}$/, 'variable numbers, e.g. "1"'), z.string())
      .optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const need = (ok: boolean, path: string, message: string) =>
      ok || ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    if (t.channel === 'email') {
      need(!!t.subject, 'subject', 'an email template needs a subject');
      need(!!(t.html || t.text), 'text', 'an email template needs an html or a text body');
    }
    if (t.channel === 'sms') need(!!t.text, 'text', 'an SMS template needs a text');
    if (t.channel === 'whatsapp')
      need(
        !!(t.contentSid || t.text),
        'contentSid',
        'a WhatsApp template needs an approved ContentSid (or a text for the 24-hour window)',
      );
    if (t.channel !== 'whatsapp')
      need(!t.contentSid && !t.contentVariables, 'contentSid', 'only WhatsApp templates have a ContentSid');
  });
export type TemplateBody = z.infer<typeof templateBody>;

/** A sample case to render for: what a case event carries. */
const sampleCase = z
  .object({
    caseId: z.string().min(1).max(200).default('SAMPLE-1'),
    caseNumber: z.string().max(200).optional(),
    fields: caseEventData.shape.fields,
    customFields: caseEventData.shape.customFields,
    contact: contact.optional(),
  })
  .strict();

export const previewBody = z.object({ channel, kind, language, case: sampleCase.default({}) }).strict();
export const testSendBody = previewBody.extend({ to: z.string().min(3).max(320) }).strict();

export const channelSettings = z
  .object({
    accounts: z
      .object({
        email: z
          .object({
            fromEmail: z.string().email(),
            fromName: z.string().max(200).optional(),
            ratePerSecond: z.number().positive().optional(),
          })
          .strict()
          .optional(),
        sms: z
          .object({
            from: z
              .string()
              .regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number')
              .optional(),
            messagingServiceSid: z
              .string()
              .regex(/^MG[0-9a-fA-F]{32}$/, 'a Messaging Service SID (MG…)')
              .optional(),
            ratePerSecond: z.number().positive().optional(),
          })
          .strict()
          .refine((a) => a.from || a.messagingServiceSid, 'a number (from) or a messagingServiceSid')
          .optional(),
        whatsapp: z
          .object({
            from: z.string().regex(/^(whatsapp:)?\+[1-9]\d{6,14}$/, 'a WhatsApp sender number'),
            ratePerSecond: z.number().positive().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    fallback: z.record(channel, channel).default({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const [from, to] of Object.entries(s.fallback)) {
      if (from === to)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['fallback', from],
          message: 'a channel cannot fall back to itself',
        });
      if (!s.accounts[to])
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['fallback', from],
          message: `no ${to} account is configured to fall back to`,
        });
    }
  });

const renderer = new TemplateRenderer();

/** What a sample case binds, exactly as a real link would. */
function sampleVariables(c: z.infer<typeof sampleCase>, dist: DistributionEntity) {
  const { caseId, caseNumber, contact: person, ...rest } = c;
  return transactionData(
    { id: caseId, caseNumber: caseNumber ?? null, ...rest, contact: person ?? null },
    dist,
  );
}

/** Templates, preview, test send, clone, sender accounts and fallback of a distribution. */
@Injectable()
export class ChannelToolsService {
  private readonly tokens: LinkTokens;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly ds: DataSource,
    private readonly outbox: OutboxService,
    private readonly messaging: MessagingService,
    private readonly clock: Clock,
  ) {
    this.tokens = new LinkTokens(cfg.LINK_SIGNING_SECRET);
  }

  private async distribution(em: EntityManager, id: string): Promise<DistributionEntity> {
    const d = await em.getRepository(DistributionEntity).findOneBy({ id });
    if (!d) throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${id} does not exist`);
    return d;
  }

  templates(id: string) {
    return this.ds
      .getRepository(TemplateEntity)
      .find({ where: { distributionId: id }, order: { channel: 'ASC', kind: 'ASC', language: 'ASC' } });
  }

  /** Creates or replaces the template of (channel, kind, language); its Handlebars must parse. */
  async putTemplate(id: string, t: TemplateBody) {
    for (const part of ['subject', 'html', 'text'] as const) if (t[part]) this.parse(t[part], part);
    for (const [k, v] of Object.entries(t.contentVariables ?? {})) this.parse(v, `contentVariables.${k}`);
    return this.ds.transaction(async (em) => {
      await this.distribution(em, id);
      await em.query(
        `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, html, text, content_sid, content_variables)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
         ON CONFLICT (distribution_id, channel, kind, language) DO UPDATE SET subject = excluded.subject,
           html = excluded.html, text = excluded.text, content_sid = excluded.content_sid,
           content_variables = excluded.content_variables`,
        [
          newId(),
          id,
          t.channel,
          t.kind,
          t.language,
          t.subject ?? null,
          t.html ?? null,
          t.text ?? null,
          t.contentSid ?? null,
          t.contentVariables ? JSON.stringify(t.contentVariables) : null,
        ],
      );
      return em
        .getRepository(TemplateEntity)
        .findOneByOrFail({ distributionId: id, channel: t.channel, kind: t.kind, language: t.language });
    });
  }

  /**
   * Renders a template for a sample case without sending: the message as the provider would get it, the SMS
   * segment count, and a 422 naming every placeholder without a value.
   */
  async preview(id: string, body: z.infer<typeof previewBody>) {
    const dist = await this.distribution(this.ds.manager, id);
    const template = await this.template(id, body.channel, body.kind, body.language);
    const vars = sampleVariables(body.case, dist);
    const sampleLink = `${this.cfg.PUBLIC_BASE_URL.replace(/\/+$/, '')}/s/${'x'.repeat(LinkTokens.LENGTH)}`;
    const message = composeMessage(body.channel, template, dist, {
      inviteId: '00000000-0000-4000-8000-000000000000',
      recipient:
        body.channel === 'email'
          ? (body.case.contact?.email ?? 'recipient@example.com')
          : (body.case.contact?.phone ?? '+15555550100'),
      variables: vars,
      link: { url: sampleLink, expiresAt: null },
    });
    const { inviteId: _ignored, ...rendered } = message;
    return {
      template: { id: template.id, language: template.language },
      message: rendered,
      ...(message.channel === 'sms' ? { sms: smsSegments(message.body) } : {}),
      ...(message.channel === 'whatsapp' && message.body
        ? {
            sms: undefined,
            whatsapp: {
              freeForm: true,
              note: 'a free-form body is delivered only inside the 24-hour window',
            },
          }
        : {}),
    };
  }

  /**
   * Sends a distribution's template to a test recipient through the channel's real sender (provider, rate
   * limit, suppression and all), with its own link; returns the invite to follow at GET /ops/invites.
   */
  async testSend(id: string, body: z.infer<typeof testSendBody>) {
    const to = normalizeAddress(body.channel, body.to);
    if (body.channel === 'email' ? !z.string().email().safeParse(to).success : !/^\+[1-9]\d{6,14}$/.test(to))
      throw new DomainError(
        ErrorCode.VALIDATION,
        `to: not a valid ${body.channel === 'email' ? 'e-mail address' : 'E.164 number'}`,
        {
          fields: [
            {
              field: 'to',
              message: `not a valid ${body.channel === 'email' ? 'e-mail address' : 'E.164 number'}`,
            },
          ],
        },
      );
    await this.preview(id, body); // the same errors as preview, before anything is written
    const caseId = `test-send:${newId()}`;
    const result = await this.outbox.transaction(async (em) => {
      const dist = await this.distribution(em, id);
      const nonce = this.tokens.newNonce();
      const token = this.tokens.tokenFor(nonce);
      const linkId = newId();
      const variables = sampleVariables(body.case, dist);
      await em.query(
        `INSERT INTO survey_links (id, distribution_id, case_id, token_hash, token_nonce, transaction_data, language, created_at, source)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, 'test')`,
        [
          linkId,
          id,
          caseId,
          this.tokens.hash(token),
          nonce,
          JSON.stringify(variables),
          body.language,
          this.clock.now(),
        ],
      );
      const inviteId = newId();
      await em.query(
        `INSERT INTO invites (id, action_id, link_id, distribution_id, case_id, channel, kind, language, recipient, status, delivery_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'Pending', 'pending')`,
        [inviteId, newId(), linkId, id, caseId, body.channel, body.kind, body.language, to],
      );
      this.outbox.add(em, {
        topic: dispatchTopicFor[body.channel],
        key: caseId,
        data: {
          inviteId,
          caseId,
          distributionId: id,
          kind: body.kind,
          channel: body.channel,
          language: body.language,
          recipient: to,
          link: { url: this.tokens.url(this.cfg.PUBLIC_BASE_URL, token), expiresAt: null },
          variables,
        },
      });
      return { inviteId, caseId };
    });
    this.messaging.wakeRelay();
    return result;
  }

  /** A copy of the distribution (settings and templates) as a new draft. */
  async clone(id: string, name?: string) {
    return this.ds.transaction(async (em) => {
      const d = await this.distribution(em, id);
      const copy = newId();
      await em.query(
        `INSERT INTO distributions (id, survey_id, name, description, type, format, status, starts_at, expiry, accounts, tags,
                                    default_language, fallback)
         SELECT $2, survey_id, $3, description, type, format, 'draft', starts_at, expiry, accounts, tags, default_language, fallback
         FROM distributions WHERE id = $1`,
        [id, copy, name ?? `${d.name} (copy)`],
      );
      await em.query(
        `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, html, text, content_sid, content_variables)
         SELECT gen_random_uuid(), $2, channel, kind, language, subject, html, text, content_sid, content_variables
         FROM templates WHERE distribution_id = $1`,
        [id, copy],
      );
      return em.getRepository(DistributionEntity).findOneByOrFail({ id: copy });
    });
  }

  async putChannelSettings(id: string, s: z.infer<typeof channelSettings>) {
    return this.ds.transaction(async (em) => {
      await this.distribution(em, id);
      await em.query(
        `UPDATE distributions SET accounts = $2::jsonb, fallback = $3::jsonb, updated_at = now() WHERE id = $1`,
        [id, JSON.stringify(s.accounts), JSON.stringify(s.fallback)],
      );
      return this.distribution(em, id);
    });
  }

  private async template(id: string, ch: Channel, k: string, lang: string): Promise<TemplateEntity> {
    const rows = await this.ds
      .getRepository(TemplateEntity)
      .findBy({ distributionId: id, channel: ch, kind: k as TemplateEntity['kind'] });
    const t = rows.find((r) => r.language === lang) ?? rows.find((r) => r.language === lang.split(/[-_]/)[0]);
    if (!t)
      throw new DomainError(
        ErrorCode.TEMPLATE_NOT_FOUND,
        `no ${ch} ${k} template in ${lang} for distribution ${id}`,
      );
    return t;
  }

  private parse(source: string, part: string) {
    try {
      renderer.placeholders(source);
    } catch (e) {
      throw new DomainError(ErrorCode.VALIDATION, `${part}: ${(e as Error).message.split('\n')[0]}`, {
        fields: [{ field: part, message: (e as Error).message.split('\n')[0] }],
      });
    }
  }
}
