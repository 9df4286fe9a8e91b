import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { Clock, DomainError, ErrorCode, csvAttachment, csvChunk, newId } from '@fg/common';
import {
  LIMITS,
  ResponseStatusReported,
  channel,
  contact,
  languageTag,
  own,
  responseStatusReported,
  scalar,
} from '@fg/contracts';
import { treeProblems } from '@fg/rules-core';
import {
  ContactRepository,
  ContactRow,
  DistributionRepository,
  NewContact,
  SegmentRepository,
  InviteRepository,
  ResponseRepository,
  SurveyLinkRepository,
  SurveyRepository,
} from '@fg/persistence';
import { LinkIssuer, boundData, linkRef } from '@fg/links';
import { ResponseService } from '@fg/responses';
import { UnitOfWork } from '@fg/messaging';
import { ApiContract, ZodPipe, isoDateTime, named } from '@fg/platform';
import { responseState } from '../responses/responses.controller';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { Principal } from '../auth/api-key.service';
import { RequireAccess, target } from '../auth/permissions';
import { LandingService } from '../landing/landing.service';
import { instant, toDate } from '../analytics/analytics.schemas';
import { IdempotencyService } from './idempotency.service';

const attributes = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'attribute names are identifiers'),
  scalar,
);

/** The contract's contact, with first and last name as alternatives to `name`. */
const contactInput = contact.extend({
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  attributes: attributes.default({}),
});
type ContactInput = z.infer<typeof contactInput>;

const linkRequest = z
  .object({
    distributionId: z.string().uuid(),
    contact: contactInput,
    /** Bound to the link now, server-side: editing the URL can't change it. */
    transactionData: attributes.default({}),
    /** With a case id, the one link of (distribution, case) is returned, created on the first call. */
    caseId: z.string().min(1).max(200).optional(),
    language: languageTag.optional(),
  })
  .strict();

const sentReport = z
  .object({
    channel: z.string().regex(/^[a-z][a-z0-9_-]{1,31}$/, 'e.g. "in_app", "chat"'),
    sentAt: z.coerce.date().optional(),
  })
  .strict();

const bulkRequest = z
  .object({
    segmentId: z.string().uuid(),
    /** Valid through the end of this day, UTC. */
    expiresOn: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD')
      .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'not a calendar date')
      .optional(),
    singleUse: z.boolean().default(true),
  })
  .strict();

const segmentFilter: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(segmentFilter).min(1) }).strict(),
    z.object({ any: z.array(segmentFilter).min(1) }).strict(),
    z
      .object({
        attribute: z.string().regex(/^(attributes\.)?[A-Za-z_][A-Za-z0-9_]{0,63}$/),
        op: z.enum(['equals', 'not_equals', 'in', 'exists']),
        value: z.union([scalar, z.array(scalar).max(LIMITS.conditionValues)]).optional(),
      })
      .strict(),
  ]),
);
const segmentBody = z
  .object({ name: z.string().min(1).max(200), filter: segmentFilter })
  .strict()
  .superRefine((b, ctx) => {
    for (const p of treeProblems(b.filter, LIMITS.segmentDepth, LIMITS.segmentConditions))
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['filter', ...p.path], message: p.message });
  });

const responseStatusFilter = z.enum(['In Progress', 'Partially Completed', 'Completed']).optional();
/** What both the JSON pages and the CSV export filter by. */
const responseFilters = {
  from: instant.optional().describe('submitted at or after'),
  to: instant.optional().describe('submitted before'),
  channel: channel.optional().describe('the channel the invitation went out on'),
  language: languageTag.optional(),
};
const exportQuery = z.object({ status: responseStatusFilter, ...responseFilters }).strict();
const responsesQuery = z.object({
  after: z.string().uuid().default('00000000-0000-0000-0000-000000000000'),
  status: responseStatusFilter,
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  ...responseFilters,
});

const id = z.string().uuid('ids are UUIDs');
/** The contact bound to a link's data, when the case had one. */
const contactOf = (data: Record<string, unknown>) => {
  const c = data.contact;
  return c && typeof c === 'object' && !Array.isArray(c) ? (c as Record<string, unknown>) : null;
};
const byId = new ZodPipe(id);
const contactsBody = named(
  'ContactsInput',
  z.object({ contacts: z.array(contactInput).min(1).max(10_000) }).strict(),
);
named('SegmentFilter', segmentFilter);
const inputs = {
  link: named('LinkInput', linkRequest),
  sent: named('LinkSentInput', sentReport),
  bulk: named('BulkLinksInput', bulkRequest),
  segment: named('SegmentInput', segmentBody),
  report: named('ResponseStatusReportedInput', responseStatusReported),
};
const pipes = {
  link: new ZodPipe(inputs.link),
  sent: new ZodPipe(inputs.sent),
  bulk: new ZodPipe(inputs.bulk),
  segment: new ZodPipe(inputs.segment),
  report: new ZodPipe(inputs.report),
  contacts: new ZodPipe(contactsBody),
  responses: new ZodPipe(responsesQuery),
  export: new ZodPipe(exportQuery),
};
const linkIssued = named(
  'Link',
  z
    .object({
      linkId: z.string().uuid(),
      url: z.string().url().describe('the personal survey link'),
      expiresAt: isoDateTime.nullable(),
      contactId: z.string().uuid(),
      distributionId: z.string().uuid(),
    })
    .strict(),
);
const revoked = named(
  'LinkRevoked',
  z.object({ linkId: z.string().uuid(), revokedAt: isoDateTime }).strict(),
);
const sentReported = named(
  'LinkSentReported',
  z.object({ linkId: z.string().uuid(), sentAt: isoDateTime, channel: z.string() }).strict(),
);
const stats = named(
  'DistributionStats',
  z
    .object({
      links: z.number().int(),
      invitesSent: z.number().int().describe('sent by us plus reported by you'),
      sentByUs: z.number().int(),
      reportedSent: z.number().int(),
      completedResponses: z.number().int(),
      linksByResponseStatus: z.record(z.number().int()),
    })
    .strict(),
);
const upserted = named('ContactsUpserted', z.object({ upserted: z.number().int() }).strict());
const segment = named(
  'Segment',
  z
    .object({
      id: z.string().uuid(),
      name: z.string(),
      filter: segmentFilter,
      contacts: z.number().int().describe('contacts matching now'),
    })
    .strict(),
);
const responsePage = named(
  'ResponsePage',
  z
    .object({
      items: z.array(
        z
          .object({
            id: z.string().uuid(),
            linkId: z.string().uuid(),
            caseId: z.string().nullable(),
            status: z.string(),
            source: z.string().describe('hosted (our page) or a survey tool that reported it'),
            submittedAt: isoDateTime.nullable(),
            language: z.string(),
            channel: channel
              .nullable()
              .describe('the channel the invitation went out on (null: not sent by us)'),
            contact: z
              .record(z.unknown())
              .nullable()
              .describe("the case's contact as bound to the link (email and phone as given)"),
            tags: z.record(z.string()),
            answers: z.record(z.unknown()).describe('question id → answer'),
            data: z.record(z.unknown()).describe('the transaction data bound to the link'),
          })
          .strict(),
      ),
      next: z.string().uuid().nullable().describe('pass as `after` for the next page'),
    })
    .strict(),
);

/** A contact as the contact store keeps it: first and last name from `name` when not given apart. */
function contactRow(c: ContactInput): NewContact {
  const [first, ...rest] = (c.name ?? '').trim().split(/\s+/);
  return {
    custom_id: c.id ?? null,
    first_name: c.firstName ?? (first || null),
    last_name: c.lastName ?? (rest.join(' ') || null),
    email: c.email ?? null,
    phone: c.phone ?? null,
    language: c.language ?? null,
    attributes: c.attributes,
  };
}

/** What a stored contact binds to its links (`customer_id` is your id when you gave one). */
const subjectOf = (c: ContactRow) => ({
  id: c.custom_id ?? c.id,
  firstName: c.first_name,
  lastName: c.last_name,
  email: c.email,
  phone: c.phone,
  attributes: c.attributes,
});

/** Links outside the rule flow: the one-call API, revocation, reports from other channels and tools, bulk links. */
@ApiTags('links')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('ops')
export class LinksController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly issuer: LinkIssuer,
    private readonly contactRows: ContactRepository,
    private readonly segments: SegmentRepository,
    private readonly idempotency: IdempotencyService,
    private readonly responses: ResponseService,
    private readonly linkRows: SurveyLinkRepository,
    private readonly distributions: DistributionRepository,
    private readonly surveys: SurveyRepository,
    private readonly invites: InviteRepository,
    private readonly responseRows: ResponseRepository,
    private readonly landing: LandingService,
    private readonly clock: Clock,
  ) {}

  @Post('links')
  @RequireAccess('distribution:edit', [target.distribution('body.distributionId')])
  @ApiContract({
    summary: 'A contact and its transaction data in, a personalized link out, in one call',
    headers: { 'Idempotency-Key': { description: 'the same key and body replay the first answer' } },
    body: inputs.link,
    response: {
      status: 201,
      schema: linkIssued,
      description: 'a new link',
      also: [{ status: 200, description: 'the link this case already has (with a caseId), or a replay' }],
    },
    errors: [401, 403, 404, 409, 422],
  })
  async create(
    @Body(pipes.link) b: z.infer<typeof linkRequest>,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: Request & { principal?: Principal },
    @Res() res: Response,
  ) {
    const out = await this.idempotency.run(req.principal!.keyId, key, b, async (em) => {
      const dist = this.issuer.requireUsable(
        await this.distributions.findById(b.distributionId, em),
        b.distributionId,
      );
      const [contact] = await this.contactRows.upsert(em, [contactRow(b.contact)]);
      const [link] = await this.issuer.issue(em, dist, 'api', [
        {
          caseId: b.caseId,
          contactId: contact.id,
          data: boundData({ caseId: b.caseId, contact: subjectOf(contact) }, dist, b.transactionData),
          language: b.language ?? contact.language ?? dist.defaultLanguage,
        },
      ]);
      return {
        status: link.created ? 201 : 200,
        body: {
          linkId: link.linkId,
          // Stored (for replays) as a reference; resolved to the URL when answering.
          url: linkRef(link.linkId),
          expiresAt: link.expiresAt?.toISOString() ?? null,
          contactId: contact.id,
          distributionId: dist.id,
        },
      };
    });
    if (out.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(out.status).json(await this.issuer.resolveRefs(out.body));
  }

  @Post('links/:id/revoke')
  @HttpCode(200)
  @RequireAccess('distribution:edit', [target.link('params.id')])
  @ApiContract({
    summary: 'Revoke one link: it then answers exactly like an unknown link',
    params: { id },
    response: { status: 200, schema: revoked },
    errors: [401, 403, 404],
  })
  async revoke(@Param('id', byId) id: string) {
    const revokedAt = await this.linkRows.revoke(id, this.clock.now());
    if (!revokedAt) throw new DomainError(ErrorCode.NOT_FOUND, `link ${id} does not exist`);
    return { linkId: id, revokedAt };
  }

  @Post('links/:id/sent')
  @HttpCode(200)
  @RequireAccess('distribution:edit', [target.link('params.id')])
  @ApiContract({
    summary: 'Report that you delivered a link yourself (e.g. in-app), so invite counts stay true',
    params: { id },
    body: inputs.sent,
    response: { status: 200, schema: sentReported },
    errors: [401, 403, 404],
  })
  async sent(@Param('id', byId) id: string, @Body(pipes.sent) b: z.infer<typeof sentReport>) {
    const sent = await this.linkRows.markSent(id, b.sentAt ?? this.clock.now(), b.channel);
    if (!sent) throw new DomainError(ErrorCode.NOT_FOUND, `link ${id} does not exist`);
    return { linkId: id, ...sent };
  }

  @Get('distributions/:id/stats')
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiContract({
    summary: 'Links, invites sent (by us or reported by you) and responses of a distribution',
    params: { id },
    response: { status: 200, schema: stats },
    errors: [401, 403, 404],
  })
  async stats(@Param('id', byId) id: string) {
    if (!(await this.distributions.findById(id)))
      throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${id} does not exist`);
    const [links, sentByUs, completed] = await Promise.all([
      this.linkRows.stats(id),
      this.invites.countSentInvitations(id),
      this.responseRows.countCompleted(id),
    ]);
    return {
      links: links.links,
      invitesSent: sentByUs + links.reportedSent,
      sentByUs,
      reportedSent: links.reportedSent,
      completedResponses: completed,
      linksByResponseStatus: links.byResponseStatus,
    };
  }

  @Post('contacts')
  @RequireAccess('distribution:edit', 'all-surveys')
  @ApiContract({
    summary: 'Create or update contacts (by your id) in bulk, up to 10 000 per call',
    body: contactsBody,
    response: { status: 201, schema: upserted },
    errors: [401, 403, 413],
  })
  async contacts(
    @Body(pipes.contacts)
    b: {
      contacts: ContactInput[];
    },
  ) {
    const rows = await this.uow.run((em) => this.contactRows.upsert(em, b.contacts.map(contactRow)));
    return { upserted: rows.length };
  }

  @Post('segments')
  @RequireAccess('distribution:edit', 'all-surveys')
  @ApiContract({
    summary: 'A segment: a filter over contact attributes (all/any of attribute equals/not_equals/in/exists)',
    body: inputs.segment,
    response: { status: 201, schema: segment },
    errors: [401, 403],
  })
  async segment(@Body(pipes.segment) b: z.infer<typeof segmentBody>) {
    const id = newId();
    const contacts = await this.contactRows.countMatching(b.filter);
    await this.segments.insert({ id, name: b.name, filter: b.filter });
    return { id, name: b.name, filter: b.filter, contacts };
  }

  /**
   * Links for every contact of a segment, streamed as CSV while they are issued, a page at a time (never the
   * whole segment in memory). Single-use by default; with `expiresOn`, valid through the end of that day, UTC.
   * Running it again returns the same links.
   */
  @Post('distributions/:id/bulk-links')
  @RequireAccess('distribution:edit', [target.distribution('params.id')])
  @ApiContract({
    summary: 'Personal links for a segment, streamed as CSV',
    params: { id },
    body: inputs.bulk,
    response: {
      status: 200,
      contentType: 'text/csv',
      description: 'contact id, custom id, first name, last name, email, personal link; a row per contact',
    },
    errors: [401, 403, 404],
  })
  async bulk(
    @Param('id', byId) id: string,
    @Body(pipes.bulk) b: z.infer<typeof bulkRequest>,
    @Res() res: Response,
  ) {
    const filter = await this.segments.filterOf(b.segmentId);
    if (!filter)
      throw new DomainError(ErrorCode.VALIDATION, `segmentId: segment ${b.segmentId} does not exist`, {
        fields: [{ field: 'segmentId', message: `segment ${b.segmentId} does not exist` }],
      });
    const dist = this.issuer.requireUsable(await this.distributions.findById(id), id);
    const expiresAt = b.expiresOn ? new Date(Date.parse(`${b.expiresOn}T00:00:00Z`) + 86_400_000) : undefined;
    if (expiresAt && expiresAt <= this.clock.now())
      throw new DomainError(ErrorCode.VALIDATION, 'expiresOn: that day is over', {
        fields: [{ field: 'expiresOn', message: 'that day is over' }],
      });
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', csvAttachment(`links-${id}.csv`));
    res.write(
      csvChunk([['contact id', 'custom id', 'first name', 'last name', 'email', 'personal link']], {
        first: true,
      }),
    );
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await this.uow.run(async (em) => {
        const contacts = await this.contactRows.pageMatching(em, filter, after, 1000);
        const links = await this.issuer.issue(
          em,
          dist,
          'bulk',
          contacts.map((c) => ({
            contactId: c.id,
            data: boundData({ contact: subjectOf(c) }, dist),
            language: c.language ?? dist.defaultLanguage,
          })),
          { singleUse: b.singleUse, ...(expiresAt ? { expiresAt } : {}) },
        );
        return { contacts, urls: new Map(links.map((l) => [l.contactId, l.url])) };
      });
      if (!page.contacts.length) break;
      const chunk = csvChunk(
        page.contacts.map((c) => [
          c.id,
          c.custom_id,
          c.first_name,
          c.last_name,
          c.email,
          page.urls.get(c.id),
        ]),
      );
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      after = page.contacts[page.contacts.length - 1].id;
      if (page.contacts.length < 1000) break;
    }
    res.end();
  }

  @Post('responses/report')
  @HttpCode(200)
  @RequireAccess('distribution:edit', [target.externalRef('body.ref')])
  @ApiContract({
    summary: 'A survey hosted elsewhere reports progress with the signed reference it was given (fg_ref)',
    body: inputs.report,
    response: { status: 200, schema: responseState },
    errors: [401, 403],
  })
  async report(@Body(pipes.report) b: ResponseStatusReported) {
    const ref = this.landing.verifyRef(b.ref);
    if (!ref)
      throw new DomainError(ErrorCode.VALIDATION, 'ref: not a reference we signed', {
        fields: [{ field: 'ref', message: 'not a reference we signed' }],
      });
    const at = b.occurredAt ? new Date(b.occurredAt) : this.clock.now();
    const out = await this.uow.run((em) => this.responses.report(em, ref.linkId, b.status, at));
    return { linkId: ref.linkId, status: b.status, changed: out.state === 'moved' };
  }

  @Get('distributions/:id/responses')
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiContract({
    summary:
      'Responses as JSON, a page at a time (pass `next` as `after`): answers, tags, the data bound to the link, and whether our page or a survey tool reported it',
    params: { id },
    query: responsesQuery,
    response: { status: 200, schema: responsePage },
    errors: [401, 403, 404],
  })
  async responsesJson(
    @Param('id', byId) id: string,
    @Query(pipes.responses) q: z.infer<typeof responsesQuery>,
  ) {
    if (!(await this.distributions.findById(id)))
      throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${id} does not exist`);
    const rows = await this.responseRows.page(id, {
      ...q,
      from: q.from ? toDate(q.from) : undefined,
      to: q.to ? toDate(q.to) : undefined,
    });
    return {
      items: rows.map((r) => ({
        id: r.id,
        linkId: r.link_id,
        caseId: r.case_id,
        status: r.status,
        source: r.source,
        submittedAt: r.submitted_at,
        language: r.language,
        channel: r.channel,
        contact: contactOf(r.transaction_data),
        tags: r.tags,
        answers: r.answers,
        data: r.transaction_data,
      })),
      next: rows.length === q.limit ? rows[rows.length - 1].id : null,
    };
  }

  @Get('distributions/:id/responses.csv')
  @RequireAccess('distribution:view', [target.distribution('params.id')])
  @ApiContract({
    summary: 'Responses with the distribution tags and each question as columns, streamed as CSV',
    params: { id },
    query: exportQuery,
    response: { status: 200, contentType: 'text/csv', description: 'a row per response' },
    errors: [401, 403, 404],
  })
  async export(
    @Param('id', byId) id: string,
    @Query(pipes.export) q: z.infer<typeof exportQuery>,
    @Res() res: Response,
  ) {
    const status = q.status;
    const dist = await this.distributions.findById(id);
    if (!dist) throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${id} does not exist`);
    const survey = await this.surveys.findById(dist.surveyId);
    const tags = Object.keys(dist.tags);
    const questions = (survey?.questions ?? []).map((q) => q.id);
    res.status(200).setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', csvAttachment(`responses-${id}.csv`));
    res.write(
      csvChunk(
        [
          [
            'response id',
            'link id',
            'case id',
            'status',
            'source',
            'submitted at',
            ...tags,
            ...questions,
            'link data',
          ],
        ],
        { first: true },
      ),
    );
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await this.responseRows.page(id, {
        after,
        status,
        limit: 1000,
        from: q.from ? toDate(q.from) : undefined,
        to: q.to ? toDate(q.to) : undefined,
        channel: q.channel,
        language: q.language,
      });
      if (!rows.length) break;
      const chunk = csvChunk(
        rows.map((r) => [
          r.id,
          r.link_id,
          r.case_id,
          r.status,
          r.source,
          r.submitted_at,
          ...tags.map((t) => own(r.tags, t)),
          ...questions.map((qid) => own(r.answers, qid)),
          r.transaction_data,
        ]),
      );
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      after = rows[rows.length - 1].id;
    }
    res.end();
  }
}
