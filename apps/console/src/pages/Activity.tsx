import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { call, ops, useLoad, type Schemas } from '../api';
import { Badge, Loading, Page, Problem, SelectField, Table, TextField, when } from '../ui';
import { Trace } from './RuleEditor';

type Search = Record<string, string>;
const FILTERS = ['caseId', 'recipient', 'distributionId', 'status', 'reasonCode', 'channel'] as const;
const STATUSES = [
  '',
  'Pending',
  'Invite Sent',
  'Invite Opened',
  'Failed',
  'Quarantined',
  'Suppressed',
  'Unsubscribed',
] as const;

/** Find a case or a recipient: every invite with its status; each opens its timeline. */
export function Activity() {
  const [params, setParams] = useSearchParams();
  const current: Search = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? '']));
  const [form, setForm] = useState<Search>(current);
  const distributions = useLoad(() => call(ops().GET('/ops/distributions')), []);
  const query = Object.fromEntries(Object.entries(current).filter(([, v]) => v));
  const invites = useLoad(
    () => call(ops().GET('/ops/invites', { params: { query: { ...query, limit: 100 } as never } })),
    [params.toString()],
  );
  const names = new Map((distributions.data ?? []).map((d) => [d.id, d.name]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setParams(Object.fromEntries(Object.entries(form).filter(([, v]) => v)));
  };
  return (
    <Page title="Activity">
      <form className="filters" aria-label="Find invites" onSubmit={submit}>
        <TextField label="Case id" value={form.caseId} onChange={(caseId) => setForm({ ...form, caseId })} />
        <TextField
          label="Recipient"
          value={form.recipient}
          onChange={(recipient) => setForm({ ...form, recipient })}
          placeholder="email or +phone"
        />
        <SelectField
          label="Distribution"
          value={form.distributionId}
          options={[
            { value: '', label: 'All' },
            ...(distributions.data ?? []).map((d) => ({ value: d.id, label: d.name })),
          ]}
          onChange={(distributionId) => setForm({ ...form, distributionId })}
        />
        <SelectField
          label="Status"
          value={form.status}
          options={STATUSES}
          onChange={(status) => setForm({ ...form, status })}
        />
        <TextField
          label="Reason code"
          value={form.reasonCode}
          onChange={(reasonCode) => setForm({ ...form, reasonCode })}
          placeholder="e.g. BOUNCED"
        />
        <SelectField
          label="Channel"
          value={form.channel}
          options={['', 'email', 'sms', 'whatsapp'] as const}
          onChange={(channel) => setForm({ ...form, channel })}
        />
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <Problem problem={invites.error} />
      {!invites.data && invites.loading && <Loading what="invites" />}
      {invites.data && (
        <Table
          caption="Invites"
          head={[
            'Case',
            'Kind',
            'Channel',
            'Recipient',
            'Status',
            'Delivery',
            'Reason',
            'Distribution',
            'Created',
          ]}
          empty={!invites.data.length}
        >
          {invites.data.map((i) => (
            <tr key={i.id}>
              <td>
                <Link to={`/activity/invites/${i.id}`}>{i.caseId}</Link>
              </td>
              <td>{i.kind}</td>
              <td>{i.channel}</td>
              <td>{i.recipient}</td>
              <td>
                <Badge value={i.status} />
              </td>
              <td>
                <Badge value={i.deliveryStatus} />
              </td>
              <td className="clip">{i.reason ?? '—'}</td>
              <td>{names.get(i.distributionId) ?? i.distributionId}</td>
              <td>{when(i.createdAt)}</td>
            </tr>
          ))}
        </Table>
      )}
    </Page>
  );
}

/** One invite: status, every receipt, the link's response status, related invites and the case's rule evaluations. */
export function InviteTimeline() {
  const { id = '' } = useParams();
  const t = useLoad(() => call(ops().GET('/ops/invites/{id}', { params: { path: { id } } })), [id]);
  if (t.error) return <Problem problem={t.error} />;
  if (!t.data) return <Loading what="the invite" />;
  const { invite: i, receipts, link, related, evaluations } = t.data;
  const events: { at: string; what: string; detail?: string | null }[] = [
    { at: i.createdAt, what: `${i.kind} created (${i.channel} to ${i.recipient})` },
    ...(i.attemptedAt ? [{ at: i.attemptedAt, what: `send attempted (${i.attempts} attempt(s))` }] : []),
    ...(i.sentAt ? [{ at: i.sentAt, what: 'sent', detail: i.providerMessageId }] : []),
    ...receipts.map((r) => ({
      at: r.occurredAt,
      what: `receipt: ${r.event}`,
      detail: r.reason ?? r.provider,
    })),
    ...(link?.openedAt ? [{ at: link.openedAt, what: 'survey opened' }] : []),
    ...(i.statusChangedAt ? [{ at: i.statusChangedAt, what: `status: ${i.status}`, detail: i.reason }] : []),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <Page title={`Invite for case ${i.caseId}`} back={`/activity?caseId=${encodeURIComponent(i.caseId)}`}>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <Badge value={i.status} /> <Badge value={i.deliveryStatus} />
          </dd>
        </div>
        <div>
          <dt>Reason</dt>
          <dd>{i.reason ?? '—'}</dd>
        </div>
        <div>
          <dt>Response</dt>
          <dd>{link ? <Badge value={link.responseStatus} /> : '—'}</dd>
        </div>
        <div>
          <dt>Link expires</dt>
          <dd>{when(link?.expiresAt)}</dd>
        </div>
      </dl>
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <ol className="timeline">
          {events.map((e, n) => (
            <li key={n}>
              <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.what}</strong>
              {e.detail && <span className="muted"> — {e.detail}</span>}
            </li>
          ))}
        </ol>
      </section>
      {related.length > 0 && (
        <section aria-labelledby="related">
          <h2 id="related">Other invites of this case</h2>
          <Table caption="Other invites" head={['Kind', 'Channel', 'Status', 'Created']}>
            {related.map((r: Schemas['Invite']) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/activity/invites/${r.id}`}>{r.kind}</Link>
                </td>
                <td>{r.channel}</td>
                <td>
                  <Badge value={r.status} />
                </td>
                <td>{when(r.createdAt)}</td>
              </tr>
            ))}
          </Table>
        </section>
      )}
      <section aria-labelledby="evaluations">
        <h2 id="evaluations">Rule evaluations of the case</h2>
        {evaluations.length === 0 && <p className="muted">None.</p>}
        {evaluations.map((e) => (
          <details key={e.id} className="card">
            <summary>
              {when(e.evaluatedAt)} · {e.trigger} · rule v{e.ruleVersion} ·{' '}
              {e.matched ? 'matched' : 'did not match'}
              {e.run && ` · run ${e.run.status}`}
            </summary>
            <Trace node={e.conditions} />
            {e.run && (
              <ol>
                {e.run.actions.map((a) => (
                  <li key={a.index}>
                    {a.type} {typeof a.outcome === 'string' ? `— ${a.outcome}` : ''}
                  </li>
                ))}
              </ol>
            )}
          </details>
        ))}
      </section>
    </Page>
  );
}
