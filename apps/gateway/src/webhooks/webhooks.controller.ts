import { Body, Controller, Header, Headers, HttpCode, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { WebhooksService } from './webhooks.service';

/** Authenticated by the provider's signature, never by nothing. */
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('sendgrid')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async sendgrid(
    @Req() req: RawBodyRequest<Request>,
    @Headers('x-twilio-email-event-webhook-signature') signature?: string,
    @Headers('x-twilio-email-event-webhook-timestamp') timestamp?: string,
  ) {
    return { accepted: await this.webhooks.sendgridEvents(req.rawBody, signature, timestamp) };
  }

  @Post('twilio/status')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async twilioStatus(
    @Req() req: Request,
    @Body() params: Record<string, string>,
    @Headers('x-twilio-signature') signature?: string,
  ) {
    return { accepted: await this.webhooks.twilioStatus(req.originalUrl, params ?? {}, signature) };
  }

  /** Inbound SMS / WhatsApp (the number's "A message comes in" webhook): STOP, START and HELP keywords. */
  @Post('twilio/inbound')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  @ApiExcludeEndpoint()
  twilioInbound(
    @Req() req: Request,
    @Body() params: Record<string, string>,
    @Headers('x-twilio-signature') signature?: string,
  ) {
    return this.webhooks.twilioInbound(req.originalUrl, params ?? {}, signature);
  }
}
