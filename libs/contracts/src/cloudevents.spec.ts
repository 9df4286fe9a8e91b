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

  it('keeps the trace context and unknown extensions, in both modes, and writes them back as ce_ headers', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const structured = decodeCloudEvent(Topics.caseEvents, {
      key: 'C-1',
      value: Buffer.from(
        JSON.stringify({
          specversion: '1.0',
          id: 'e3',
          source: 'crm',
          type: 'case.updated',
          traceparent,
          tracestate: 'vendor=1',
          tenant: 'acme',
          priority: 3,
          data,
        }),
      ),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(structured).toMatchObject({
      traceparent,
      tracestate: 'vendor=1',
      extensions: { tenant: 'acme', priority: '3' },
    });
    const raw = encodeCloudEvent(structured, 'C-1');
    expect(raw.headers).toMatchObject({
      ce_traceparent: traceparent,
      ce_tracestate: 'vendor=1',
      ce_tenant: 'acme',
    });
    expect(decodeCloudEvent(Topics.caseEvents, raw)).toMatchObject({
      traceparent,
      extensions: { tenant: 'acme' },
    });
  });

  it('refuses a malformed traceparent and extension names CloudEvents does not allow', () => {
    const bad = (attrs: Record<string, unknown>) => () =>
      decodeCloudEvent(Topics.caseEvents, {
        key: 'C-1',
        value: Buffer.from(
          JSON.stringify({
            specversion: '1.0',
            id: 'e4',
            source: 'crm',
            type: 'case.updated',
            data,
            ...attrs,
          }),
        ),
        headers: { 'content-type': 'application/cloudevents+json' },
      });
    expect(bad({ traceparent: 'not-a-trace' })).toThrow(/traceparent must be a W3C trace context/);
    expect(bad({ Tenant_Name: 'x' })).toThrow(/extension attribute "Tenant_Name"/);
    expect(bad({ tenant: { nested: true } })).toThrow(/must be a string, integer or boolean/);
    expect(bad({ tenant: 'ok' })).not.toThrow();
  });
});
