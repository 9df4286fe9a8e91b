import { InvalidMessageError, Topics, decodeCloudEvent, encodeCloudEvent } from '.';

const data = { caseId: 'C-1', fields: { status: 'Resolved' }, customFields: {} };

describe('CloudEvents over Kafka', () => {
  it('reads structured mode (application/cloudevents+json)', () => {
    const ev = decodeCloudEvent(Topics.caseEvents, {
      key: 'C-1',
      value: Buffer.from(
        JSON.stringify({ specversion: '1.0', id: 'e1', source: 'crm', type: 'case.updated', data }),
      ),
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    });
    expect(ev).toMatchObject({ id: 'e1', source: 'crm', type: 'case.updated', data: { caseId: 'C-1' } });
  });

  it('reads binary mode (ce_ headers) and round-trips what we write', () => {
    const raw = encodeCloudEvent(
      {
        specversion: '1.0',
        id: 'e2',
        source: 'fg/rules',
        type: 'case.created',
        correlationid: 'corr-1',
        data,
      },
      'C-1',
    );
    expect(raw.headers).toMatchObject({ ce_id: 'e2', ce_type: 'case.created', ce_correlationid: 'corr-1' });
    const ev = decodeCloudEvent(Topics.caseEvents, raw);
    expect(ev.correlationid).toBe('corr-1');
    expect(ev.data.fields).toEqual({ status: 'Resolved' });
  });

  it.each([
    [{ headers: {}, value: '{}' }, /not a CloudEvent/],
    [{ headers: { 'content-type': 'application/cloudevents+json' }, value: '[1]' }, /must be a JSON object/],
    [
      {
        headers: { 'content-type': 'application/cloudevents+json' },
        value: JSON.stringify({ specversion: '0.3', id: 'x', source: 's', type: 'case.updated', data }),
      },
      /specversion must be "1.0"/,
    ],
    [
      {
        headers: { 'content-type': 'application/cloudevents+json' },
        value: JSON.stringify({ specversion: '1.0', id: 'x', source: 's', type: 'order.placed', data }),
      },
      /type "order.placed" is not accepted on case.events/,
    ],
    [
      {
        headers: { 'content-type': 'application/cloudevents+json' },
        value: JSON.stringify({
          specversion: '1.0',
          id: 'x',
          source: 's',
          type: 'case.updated',
          data: { fields: {} },
        }),
      },
      /data: caseId: Required/,
    ],
    [
      {
        headers: { ce_specversion: '1.0', ce_id: 'x', ce_source: 's', ce_type: 'case.updated' },
        value: JSON.stringify({ ...data, contact: { phone: '555-1234' } }),
      },
      /contact.phone: phone must be E.164/,
    ],
  ])('rejects %j with a reason', (msg, reason) => {
    const run = () =>
      decodeCloudEvent(Topics.caseEvents, { key: null, value: Buffer.from(msg.value), headers: msg.headers });
    expect(run).toThrow(InvalidMessageError);
    expect(run).toThrow(reason);
  });
});
