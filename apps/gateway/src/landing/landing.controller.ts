import { Body, Controller, Get, Header, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { own } from '@fg/contracts';
import { LandingOutcome, LandingService } from './landing.service';
import { OPEN_BEACON, renderClosedPage, renderSurveyPage, renderUnsubscribePage } from './pages';
import { UnsubscribeService } from './unsubscribe.service';

const client = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** The public end of a survey link: its page (or the page of its state) and the hosted survey's answers. */
@ApiExcludeController()
@Controller('s')
export class LandingController {
  constructor(private readonly landing: LandingService) {}

  @Get(':token')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Robots-Tag', 'noindex')
  async open(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    const outcome = await this.landing.open(token, client(req));
    if (outcome.state === 'open' && outcome.redirect) {
      res.redirect(303, outcome.redirect);
      return;
    }
    this.render(res, outcome);
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
    const result = await this.landing.answer(
      token,
      client(req),
      action === 'skip' ? {} : form,
      action === 'submit',
    );
    if (result.state === 'saved') {
      // Back to the page just answered: a path we build, never one taken from the request.
      res.redirect(303, encodeURIComponent(token));
      return;
    }
    if (result.state === 'submitted') {
      res.type('html').status(200).send(renderClosedPage('Thank you!', 'Your answers have been recorded.'));
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
              again.survey,
              again.distribution.format,
              again.link.language,
              again.answers,
              result.problems,
            ),
          );
        return;
      }
      this.render(res, again);
      return;
    }
    this.render(res, result);
  }

  private render(res: Response, outcome: LandingOutcome) {
    res.type('html');
    switch (outcome.state) {
      case 'open':
        res
          .status(200)
          .send(
            renderSurveyPage(
              outcome.survey,
              outcome.distribution.format,
              outcome.link.language,
              outcome.answers,
            ),
          );
        return;
      case 'unknown':
        res
          .status(404)
          .send(renderClosedPage('This link is not valid', 'Please check the link you received.'));
        return;
      case 'too_many':
        res
          .status(429)
          .set('Retry-After', '60')
          .send(renderClosedPage('Too many attempts', 'Please try again in a minute.'));
        return;
      case 'not_open_yet':
        res
          .status(403)
          .send(renderClosedPage('This survey is not open yet', `It opens on ${outcome.at!.toUTCString()}.`));
        return;
      case 'used_up':
        res
          .status(403)
          .send(renderClosedPage('You have already answered', 'Your answers were recorded. Thank you!'));
        return;
      case 'expired':
        res
          .status(410)
          .send(renderClosedPage('This survey link has expired', 'Thank you for your interest.'));
        return;
      case 'closed':
        res.status(410).send(renderClosedPage('This survey is closed', 'Thank you for your interest.'));
        return;
    }
  }
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
  constructor(private readonly unsubscribes: UnsubscribeService) {}

  @Get(':token')
  @Header('Cache-Control', 'no-store')
  @Header('X-Robots-Tag', 'noindex')
  async page(@Param('token') token: string, @Res() res: Response) {
    const invite = await this.unsubscribes.find(token);
    res.type('html');
    if (!invite) {
      res.status(404).send(renderClosedPage('This link is not valid', 'Please check the link you received.'));
      return;
    }
    res.status(200).send(renderUnsubscribePage(maskAddress(invite.recipient)));
  }

  @Post(':token')
  @Header('Cache-Control', 'no-store')
  async unsubscribe(@Param('token') token: string, @Body() body: unknown, @Res() res: Response) {
    const invite = await this.unsubscribes.find(token);
    res.type('html');
    if (!invite) {
      res.status(404).send(renderClosedPage('This link is not valid', 'Please check the link you received.'));
      return;
    }
    const oneClick = own((body ?? {}) as Record<string, unknown>, 'List-Unsubscribe') === 'One-Click';
    await this.unsubscribes.unsubscribe(invite, oneClick ? 'one-click' : 'page');
    res
      .status(200)
      .send(
        renderClosedPage(
          'You are unsubscribed',
          'You will not receive survey messages at this address anymore.',
        ),
      );
  }
}

/** `a•••@example.com`, `+1•••••••0123`: enough for the recipient to recognise, not to read off the screen. */
function maskAddress(a: string): string {
  const at = a.indexOf('@');
  if (at > 0) return `${a[0]}•••${a.slice(at)}`;
  return a.length > 6 ? `${a.slice(0, 2)}${'•'.repeat(a.length - 6)}${a.slice(-4)}` : '•••';
}
