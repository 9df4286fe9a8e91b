import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { SendGridEmailProvider } from './sendgrid.provider';

describe('SendGrid provider: connections', () => {
  let server: Server;
  let connections = 0;
  let requests = 0;
  let baseUrl = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(202, { 'x-message-id': `m${requests}` });
        res.end();
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('keeps one connection alive across emails', async () => {
    const provider = new SendGridEmailProvider({ apiKey: 'SG.test', baseUrl });
    for (let i = 0; i < 5; i++) {
      const r = await provider.send({
        channel: 'email',
        inviteId: randomUUID(),
        to: 'grace@example.com',
        from: { email: 'surveys@acme.test' },
        subject: 'Hi',
        html: '<p>Hi</p>',
        text: 'Hi',
      });
      expect(r).toMatchObject({ providerMessageId: `m${i + 1}` });
    }
    expect(requests).toBe(5);
    expect(connections).toBe(1);
  });
});
