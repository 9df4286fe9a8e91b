import { Body, Controller, Header, HttpCode, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { WebhooksService } from './webhooks.service';

/** The form's fields (Twilio posts forms); anything else (bytes, a JSON array) is no fields: its signature fails. */
const formOf = (body: unknown): Record<string, string> =>
  body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body)
    ? (body as Record<string, string>)
    : {};

const headersOf = (req: Request) =>
  Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));

/** Authenticated by the provider's signature (verified by its adapter), never by nothing. */
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('sendgrid')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async sendgrid(@Req() req: RawBodyRequest<Request>) {
    // The raw bytes (see RAW_BODY_ROUTES): the signature is checked over them before they are parsed.
    const raw = Buffer.isBuffer(req.body) ? req.body : req.rawBody;
    const r = this.webhooks.request(req.originalUrl, headersOf(req), {}, raw);
    return { accepted: await this.webhooks.receipts('sendgrid', r) };
  }

  @Post('twilio/status')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async twilioStatus(@Req() req: Request, @Body() body: unknown) {
    const r = this.webhooks.request(req.originalUrl, headersOf(req), formOf(body));
    return { accepted: await this.webhooks.receipts('twilio', r) };
  }

  /** Inbound SMS / WhatsApp (the number's "A message comes in" webhook): STOP, START and HELP keywords. */
  @Post('twilio/inbound')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  @ApiExcludeEndpoint()
  twilioInbound(@Req() req: Request, @Body() body: unknown) {
    return this.webhooks.twilioInbound(this.webhooks.request(req.originalUrl, headersOf(req), formOf(body)));
  }
}
