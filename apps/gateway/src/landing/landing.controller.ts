import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { LandingOutcome, LandingService } from './landing.service';
import { renderClosedPage, renderSurveyPage } from './pages';

/** The public end of a survey link. */
@ApiExcludeController()
@Controller('s')
export class LandingController {
  constructor(private readonly landing: LandingService) {}

  @Get(':token')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Robots-Tag', 'noindex')
  async open(@Param('token') token: string, @Res() res: Response) {
    const outcome: LandingOutcome = await this.landing.open(token);
    res.type('html');
    switch (outcome.state) {
      case 'open':
        res.status(200).send(renderSurveyPage(outcome.survey, outcome.link.language));
        return;
      case 'unknown':
        res
          .status(404)
          .send(renderClosedPage('This link is not valid', 'Please check the link you received.'));
        return;
      case 'not_open_yet':
        res
          .status(403)
          .send(renderClosedPage('This survey is not open yet', `It opens on ${outcome.at!.toUTCString()}.`));
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
