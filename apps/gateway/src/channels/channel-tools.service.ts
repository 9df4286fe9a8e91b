import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { z } from 'zod';
import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode, newId } from '@fg/common';
import { Channel, channel, contact, dispatchTopicFor, caseEventData } from '@fg/contracts';
import {
  DistributionEntity,
  DistributionRepository,
  InviteRepository,
  TemplateEntity,
  TemplateRepository,
} from '@fg/persistence';
import { TemplateResolver, normalizeAddress } from '@fg/invites';
import { LinkIssuer, LinkTokens, boundData } from '@fg/links';
import { OutboxService, UnitOfWork } from '@fg/messaging';
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

const sampled = { channel, kind, language, case: sampleCase.default({}) };
/** The template being edited, not saved yet: previewed instead of the stored one (the console's live preview). */
const draftTemplate = z
  .object({
    subject: z.string().max(998).optional(),
    html: z.string().max(500_000).optional(),
    text: z.string().max(100_000).optional(),
    contentSid: z.string().max(64).optional(),
    contentVariables: z.record(z.string()).optional(),
  })
  .strict();
export const previewBody = z.object({ ...sampled, draft: draftTemplate.optional() }).strict();
export const testSendBody = z.object({ ...sampled, to: z.string().min(3).max(320) }).strict();

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
  return boundData({ caseId, caseNumber: caseNumber ?? null, ...rest, contact: person ?? null }, dist);
}

/** Templates, preview, test send, clone, sender accounts and fallback of a distribution. */
@Injectable()
export class ChannelToolsService {
  constructor(
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly distributions: DistributionRepository,
    private readonly templateRows: TemplateRepository,
    private readonly resolver: TemplateResolver,
    private readonly issuer: LinkIssuer,
    private readonly inviteRows: InviteRepository,
  ) {}

  private async distribution(em: EntityManager | undefined, id: string): Promise<DistributionEntity> {
    const d = await this.distributions.findById(id, em);
    if (!d) throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${id} does not exist`);
    return d;
  }

  templates(id: string) {
    return this.templateRows.list(id);
  }

  /** Creates or replaces the template of (channel, kind, language); its Handlebars must parse. */
  async putTemplate(id: string, t: TemplateBody) {
    for (const part of ['subject', 'html', 'text'] as const) if (t[part]) this.parse(t[part], part);
    for (const [k, v] of Object.entries(t.contentVariables ?? {})) this.parse(v, `contentVariables.${k}`);
    return this.uow.run(async (em) => {
      await this.distribution(em, id);
      return this.templateRows.upsert(em, id, {
        channel: t.channel,
        kind: t.kind,
        language: t.language,
        subject: t.subject ?? null,
        html: t.html ?? null,
        text: t.text ?? null,
        contentSid: t.contentSid ?? null,
        contentVariables: t.contentVariables ?? null,
      });
    });
  }

  /**
   * Renders a template for a sample case without sending: the message as the provider would get it, the SMS
   * segment count, and a 422 naming every placeholder without a value.
   */
  async preview(id: string, body: z.infer<typeof previewBody>) {
    const dist = await this.distribution(undefined, id);
    const template = body.draft
      ? this.draftOf(dist, body)
      : await this.template(dist, body.channel, body.kind, body.language);
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
      unsubscribe: {
        url: `${this.cfg.PUBLIC_BASE_URL.replace(/\/+$/, '')}/u/sample`,
        ...(this.cfg.UNSUBSCRIBE_MAILTO ? { mailto: this.cfg.UNSUBSCRIBE_MAILTO } : {}),
      },
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
    const result = await this.uow.run(async (em) => {
      const dist = await this.distribution(em, id);
      const variables = sampleVariables(body.case, dist);
      // A test link: marked as one (left out of stats and exports), valid for a day at most.
      const [link] = await this.issuer.issue(em, dist, 'test', [
        { caseId, data: variables, language: body.language },
      ]);
      const linkId = link.linkId;
      const inviteId = newId();
      await this.inviteRows.insertMany(em, [
        {
          id: inviteId,
          action_id: newId(),
          link_id: linkId,
          distribution_id: id,
          case_id: caseId,
          channel: body.channel,
          kind: body.kind,
          language: body.language,
          recipient: to,
          use_distribution_account: true,
          contact_key: null,
        },
      ]);
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
          link: { url: link.url, expiresAt: link.expiresAt?.toISOString() ?? null },
          variables,
        },
      });
      return { inviteId, caseId };
    });
    return result;
  }

  /** A copy of the distribution (every setting and every template) as a new draft. */
  async clone(id: string, name?: string) {
    return this.uow.run(async (em) => {
      const d = await this.distribution(em, id);
      const copy = newId();
      await this.distributions.clone(em, id, copy, name ?? `${d.name} (copy)`);
      await this.templateRows.copyAll(em, id, copy);
      return this.distribution(em, copy);
    });
  }

  async putChannelSettings(id: string, s: z.infer<typeof channelSettings>) {
    return this.uow.run(async (em) => {
      await this.distribution(em, id);
      await this.distributions.setChannels(em, id, s.accounts, s.fallback);
      return this.distribution(em, id);
    });
  }

  /** The template a real send would use (TemplateResolver: language, base language, default language). */
  /** A draft as a template (not stored): what the preview renders while the operator types. */
  private draftOf(dist: DistributionEntity, body: z.infer<typeof previewBody>): TemplateEntity {
    const d = body.draft!;
    return Object.assign(new TemplateEntity(), {
      id: '00000000-0000-4000-8000-000000000000',
      distributionId: dist.id,
      channel: body.channel,
      kind: body.kind,
      language: body.language,
      subject: d.subject ?? null,
      html: d.html ?? null,
      text: d.text ?? null,
      contentSid: d.contentSid ?? null,
      contentVariables: d.contentVariables ?? null,
    });
  }

  private async template(
    dist: DistributionEntity,
    ch: Channel,
    k: string,
    lang: string,
  ): Promise<TemplateEntity> {
    const t = await this.resolver.resolve(
      { distributionId: dist.id, channel: ch, kind: k as TemplateEntity['kind'] },
      lang,
      dist.defaultLanguage,
    );
    if (!t)
      throw new DomainError(
        ErrorCode.TEMPLATE_NOT_FOUND,
        `no ${ch} ${k} template in ${lang} (nor its base language or the default ${dist.defaultLanguage}) for distribution ${dist.id}`,
      );
    return t;
  }

  private parse(source: string, part: string) {
    let raw: string[];
    try {
      raw = renderer.unescaped(source);
    } catch (e) {
      throw new DomainError(ErrorCode.VALIDATION, `${part}: ${(e as Error).message.split('\n')[0]}`, {
        fields: [{ field: part, message: (e as Error).message.split('\n')[0] }],
      });
    }
    if (raw.length) {
      const message = `${raw.map((r) => `{{{${r}}}}`).join(', ')} would insert the value without HTML escaping; write {{${raw[0]}}}`;
      throw new DomainError(ErrorCode.VALIDATION, `${part}: ${message}`, {
        fields: [{ field: part, message }],
      });
    }
  }
}
