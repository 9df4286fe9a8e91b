import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { own } from '@fg/contracts';
import type { Branding } from '@fg/persistence';
import { LandingOutcome, LandingService } from './landing.service';
import { Messages } from './i18n';
import { OPEN_BEACON, PageContext, renderStatePage, renderSurveyPage, renderUnsubscribePage } from './pages';
import { UnsubscribeService } from './unsubscribe.service';

const client = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** The public end of a survey link: its page (or the page of its state) and the hosted survey's answers. */
@ApiExcludeController()
@Controller('s')
export class LandingController {
  constructor(
    private readonly landing: LandingService,
    private readonly m: Messages,
  ) {}

  @Get(':token')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Robots-Tag', 'noindex')
  async open(
    @Param('token') token: string,
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const outcome = await this.landing.open(token, client(req));
    if (outcome.state === 'open' && outcome.redirect) {
      res.redirect(303, outcome.redirect);
      return;
    }
    const at = Number(own(query, 'q'));
    this.render(req, res, outcome, {
      saved: own(query, 'saved') === '1',
      ...(Number.isInteger(at) && at >= 0 ? { at } : {}),
    });
  }

  /** The page's beacon: a person is looking (see OPEN_BEACON). 204 whatever the link's state, nothing to read. */
  @Post(':token/opened')
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  async opened(@Param('token') token: string, @Req() req: Request) {
    await this.landing.opened(token, client(req));
  }

  @Post(':token')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  async answer(
    @Param('token') token: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    // A form (or JSON) object; anything else (an array, a string) counts as no answers.
    const form: Record<string, unknown> =
      body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const action = own(form, 'action');
    const at = Number(own(form, 'at'));
    const position = Number.isInteger(at) && at >= 0 ? at : null;
    // Back to the page just answered: a path we build, never one taken from the request.
    const back = (query: string) => res.redirect(303, `${encodeURIComponent(token)}${query}`);
    if (action === 'back' && position !== null) return back(`?q=${Math.max(position - 1, 0)}`);
    if (action === 'skip') return back(position !== null ? `?q=${position + 1}` : '');
    const result = await this.landing.answer(token, client(req), form, action === 'submit');
    if (result.state === 'saved') return back(position !== null ? `?q=${position + 1}&saved=1` : '?saved=1');
    if (result.state === 'submitted') {
      const ctx = this.context(req, result.languages, result.branding);
      res
        .type('html')
        .status(200)
        .send(renderStatePage(ctx, 'done.title', 'done.body'));
      return;
    }
    if (result.state === 'invalid') {
      const again = await this.landing.open(token, client(req));
      if (again.state === 'open') {
        res
          .type('html')
          .status(400)
          .send(
            renderSurveyPage(
              this.context(
                req,
                [again.link.language, again.distribution.defaultLanguage],
                again.distribution.branding,
              ),
              again.survey,
              again.distribution.format,
              again.answers,
              { problems: result.problems, ...(position !== null ? { at: position } : {}) },
            ),
          );
        return;
      }
      this.render(req, res, again);
      return;
    }
    this.render(req, res, result);
  }

  /** The respondent's language: the link's, then the distribution's, then the browser's (decision 0027). */
  private context(req: Request, languages: string[] = [], branding: Branding | null = null): PageContext {
    return {
      lang: this.m.resolve(...languages, ...Messages.acceptLanguage(req.header('accept-language'))),
      m: this.m,
      branding,
    };
  }

  private render(
    req: Request,
    res: Response,
    outcome: LandingOutcome,
    o: { saved?: boolean; at?: number } = {},
  ) {
    res.type('html');
    if (outcome.state === 'open') {
      const ctx = this.context(
        req,
        [outcome.link.language, outcome.distribution.defaultLanguage],
        outcome.distribution.branding,
      );
      res
        .status(200)
        .send(renderSurveyPage(ctx, outcome.survey, outcome.distribution.format, outcome.answers, o));
      return;
    }
    const ctx = this.context(req, outcome.languages, outcome.branding);
    const page = (status: number, key: string, params: Record<string, string> = {}) =>
      res.status(status).send(renderStatePage(ctx, `state.${key}.title`, `state.${key}.body`, params));
    switch (outcome.state) {
      case 'unknown':
        return page(404, 'unknown');
      case 'too_many':
        res.set('Retry-After', '60');
        return page(429, 'tooMany');
      case 'not_open_yet':
        return page(403, 'notOpen', { date: formatDate(outcome.at!, ctx.lang) });
      case 'used_up':
        return page(403, 'answered');
      case 'expired':
        return page(410, 'expired');
      case 'closed':
        return page(410, 'closed');
    }
  }
}

/** A date and time as the respondent's language writes it, in UTC (said so). */
function formatDate(at: Date, lang: string): string {
  return `${new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(at)} UTC`;
}

/** The survey pages' one script (the open beacon), from our origin: the pages' CSP allows no other. */
@ApiExcludeController()
@Controller('p')
export class PageAssetsController {
  @Get('opened.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  beacon() {
    return OPEN_BEACON;
  }
}

/**
 * Unsubscribe links (`/u/<signed token>`): `List-Unsubscribe` in every email (RFC 8058: the mail client POSTs
 * `List-Unsubscribe=One-Click`, no cookie, no page) and `{{unsubscribe_url}}` in templates, which opens a
 * confirmation page. A GET changes nothing (scanners fetch links); a POST unsubscribes.
 */
@ApiExcludeController()
@Controller('u')
export class UnsubscribeController {
  constructor(
    private readonly unsubscribes: UnsubscribeService,
    private readonly m: Messages,
  ) {}

  private context(req: Request, language?: string): PageContext {
    return {
      lang: this.m.resolve(language, ...Messages.acceptLanguage(req.header('accept-language'))),
      m: this.m,
    };
  }

  @Get(':token')
  @Header('Cache-Control', 'no-store')
  @Header('X-Robots-Tag', 'noindex')
  async page(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    const invite = await this.unsubscribes.find(token);
    res.type('html');
    const ctx = this.context(req, invite?.language);
    if (!invite) {
      res.status(404).send(renderStatePage(ctx, 'state.unknown.title', 'state.unknown.body'));
      return;
    }
    res.status(200).send(renderUnsubscribePage(ctx, maskAddress(invite.recipient)));
  }

  @Post(':token')
  @Header('Cache-Control', 'no-store')
  async unsubscribe(
    @Param('token') token: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const invite = await this.unsubscribes.find(token);
    res.type('html');
    const ctx = this.context(req, invite?.language);
    if (!invite) {
      res.status(404).send(renderStatePage(ctx, 'state.unknown.title', 'state.unknown.body'));
      return;
    }
    const oneClick = own((body ?? {}) as Record<string, unknown>, 'List-Unsubscribe') === 'One-Click';
    await this.unsubscribes.unsubscribe(invite, oneClick ? 'one-click' : 'page');
    res.status(200).send(renderStatePage(ctx, 'unsubscribe.done.title', 'unsubscribe.done.body'));
  }
}

/** `a•••@example.com`, `+1•••••••0123`: enough for the recipient to recognise, not to read off the screen. */
function maskAddress(a: string): string {
  const at = a.indexOf('@');
  if (at > 0) return `${a[0]}•••${a.slice(at)}`;
  return a.length > 6 ? `${a.slice(0, 2)}${'•'.repeat(a.length - 6)}${a.slice(-4)}` : '•••';
}
