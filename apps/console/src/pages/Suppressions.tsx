import { useState, type FormEvent } from 'react';
import { asProblem, call, fieldErrors, ops, useLoad, type ApiProblem, type Schemas } from '../api';
import { Loading, Page, Problem, SelectField, Table, TextField, when } from '../ui';

type Channel = 'email' | 'sms' | 'whatsapp';

/** The suppression list (bounces, spam reports, unsubscribes, STOP) and the quarantine (contact frequency) rules. */
export function Suppressions() {
  const list = useLoad(() => call(ops().GET('/ops/suppressions')), []);
  const [channel, setChannel] = useState<Channel>('email');
  const [address, setAddress] = useState('');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<ApiProblem>();
  const errors = fieldErrors(problem);
  const fail = (e: unknown) => setProblem(asProblem(e));
  const add = (e: FormEvent) => {
    e.preventDefault();
    call(ops().POST('/ops/suppressions', { body: { channel, address, ...(reason ? { reason } : {}) } })).then(
      () => {
        setProblem(undefined);
        setAddress('');
        list.reload();
      },
      fail,
    );
  };
  const lift = (c: Channel, a: string) =>
    call(ops().POST('/ops/suppressions/lift', { body: { channel: c, address: a } })).then(
      () => list.reload(),
      fail,
    );
  return (
    <Page title="Suppressions and quarantine">
      <Problem problem={problem ?? list.error} />
      <form className="filters" aria-label="Suppress an address" onSubmit={add}>
        <SelectField
          label="Channel"
          value={channel}
          options={['email', 'sms', 'whatsapp'] as const}
          onChange={setChannel}
        />
        <TextField label="Address" value={address} onChange={setAddress} error={errors.get('address')} />
        <TextField label="Reason" value={reason} onChange={setReason} />
        <button type="submit" className="primary" disabled={!address}>
          Suppress
        </button>
      </form>
      {!list.data && list.loading && <Loading what="suppressions" />}
      {list.data && (
        <Table
          caption="Suppressed addresses"
          head={['Channel', 'Address', 'Reason', 'Source', 'Since', '']}
          empty={!list.data.length}
        >
          {list.data.map((s) => (
            <tr key={`${s.channel}-${s.address}`}>
              <td>{s.channel}</td>
              <td>{s.address}</td>
              <td>{s.reason}</td>
              <td>{s.source}</td>
              <td>{when(s.suppressedAt)}</td>
              <td>
                {s.liftedAt ? (
                  `lifted ${when(s.liftedAt)}`
                ) : (
                  <button type="button" onClick={() => void lift(s.channel, s.address)}>
                    Lift
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <QuarantineRules />
    </Page>
  );
}

function QuarantineRules() {
  const rules = useLoad(() => call(ops().GET('/ops/quarantine-rules')), []);
  const [draft, setDraft] = useState<Schemas['QuarantineRuleInput']>({
    name: 'One invitation a month',
    channel: null,
    maxInvites: 1,
    period: { amount: 30, unit: 'days' },
    enabled: true,
  });
  const [problem, setProblem] = useState<ApiProblem>();
  const errors = fieldErrors(problem);
  const fail = (e: unknown) => setProblem(asProblem(e));
  const save = (e: FormEvent) => {
    e.preventDefault();
    call(ops().POST('/ops/quarantine-rules', { body: draft })).then(() => {
      setProblem(undefined);
      rules.reload();
    }, fail);
  };
  const toggle = (r: Schemas['QuarantineRule']) =>
    call(
      ops().PUT('/ops/quarantine-rules/{ruleId}', {
        params: { path: { ruleId: r.id } },
        body: {
          name: r.name,
          channel: r.channel,
          maxInvites: r.maxInvites,
          period: r.period,
          enabled: !r.enabled,
        },
      }),
    ).then(() => rules.reload(), fail);
  return (
    <section aria-labelledby="quarantine">
      <h2 id="quarantine">Quarantine rules</h2>
      <p className="muted">At most so many invitations per contact in a period, across surveys.</p>
      <Problem problem={problem ?? rules.error} />
      {rules.data && (
        <Table
          caption="Quarantine rules"
          head={['Name', 'Channel', 'At most', 'Per', 'Enabled']}
          empty={!rules.data.length}
        >
          {rules.data.map((r) => (
            <tr key={r.id}>
              <td>{r.name}</td>
              <td>{r.channel ?? 'any'}</td>
              <td>{r.maxInvites}</td>
              <td>
                {r.period.amount} {r.period.unit}
              </td>
              <td>
                <label className="switch">
                  <input
                    type="checkbox"
                    role="switch"
                    checked={r.enabled}
                    onChange={() => void toggle(r)}
                    aria-label={`${r.name} enabled`}
                  />
                  {r.enabled ? 'On' : 'Off'}
                </label>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <form className="filters" aria-label="New quarantine rule" onSubmit={save}>
        <TextField
          label="Name"
          value={draft.name}
          onChange={(name) => setDraft({ ...draft, name })}
          error={errors.get('name')}
        />
        <SelectField
          label="Channel"
          value={draft.channel ?? ''}
          options={[{ value: '', label: 'any' }, 'email', 'sms', 'whatsapp'] as const}
          onChange={(c) => setDraft({ ...draft, channel: c || null })}
        />
        <TextField
          label="At most"
          type="number"
          value={String(draft.maxInvites)}
          onChange={(v) => setDraft({ ...draft, maxInvites: Number(v) })}
          error={errors.get('maxInvites')}
        />
        <TextField
          label="Per"
          type="number"
          value={String(draft.period.amount)}
          onChange={(v) => setDraft({ ...draft, period: { ...draft.period, amount: Number(v) } })}
          error={errors.get('period.amount')}
        />
        <SelectField
          label="Unit"
          value={draft.period.unit}
          options={['hours', 'days', 'weeks', 'months', 'years'] as const}
          onChange={(unit) => setDraft({ ...draft, period: { ...draft.period, unit } })}
        />
        <button type="submit">Add quarantine rule</button>
      </form>
    </section>
  );
}
