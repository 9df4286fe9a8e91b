import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { call, ops, useLoad, type Schemas } from '../api';
import { Loading, Problem, SelectField, Table, TextField, pct } from '../ui';

type Grouping = NonNullable<Schemas['Funnel']['groupBy']>;
const STAGE_LABEL: Record<string, string> = {
  issued: 'Links issued',
  sent: 'Invites sent',
  delivered: 'Delivered',
  opened: 'Message opened',
  surveyOpened: 'Survey opened',
  started: 'Started',
  completed: 'Completed',
};
const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The delivery funnel of a distribution over a period, by channel, language, rule or day. */
export function Funnel({ distributionId }: { distributionId: string }) {
  const [from, setFrom] = useState(day(-29));
  const [to, setTo] = useState(day(0));
  const [groupBy, setGroupBy] = useState<Grouping>('channel');
  const [channel, setChannel] = useState<'' | 'email' | 'sms' | 'whatsapp'>('');
  const funnel = useLoad(
    () =>
      call(
        ops().GET('/ops/distributions/{id}/funnel', {
          params: {
            path: { id: distributionId },
            // `to` is the end of the chosen day
            query: { from, to: nextDay(to), groupBy, ...(channel ? { channel } : {}) },
          },
        }),
      ),
    [distributionId, from, to, groupBy, channel],
  );
  const f = funnel.data;
  const chart = f ? f.stages.map((s) => ({ stage: STAGE_LABEL[s] ?? s, count: f.total.counts[s] ?? 0 })) : [];
  return (
    <div className="stack">
      <form className="filters" aria-label="Funnel filters" onSubmit={(e) => e.preventDefault()}>
        <TextField label="From" type="date" value={from} onChange={setFrom} />
        <TextField label="To" type="date" value={to} onChange={setTo} />
        <SelectField
          label="Group by"
          value={groupBy}
          options={[
            { value: 'channel', label: 'Channel' },
            { value: 'language', label: 'Language' },
            { value: 'rule', label: 'Rule' },
            { value: 'day', label: 'Day' },
            { value: 'none', label: 'Nothing' },
          ]}
          onChange={setGroupBy}
        />
        <SelectField
          label="Channel"
          value={channel}
          options={[{ value: '', label: 'All channels' }, 'email', 'sms', 'whatsapp'] as const}
          onChange={setChannel}
        />
      </form>
      <Problem problem={funnel.error} />
      {!f && funnel.loading && <Loading what="the funnel" />}
      {f && (
        <>
          <section aria-labelledby="funnel-total">
            <h2 id="funnel-total">Funnel</h2>
            <ol className="stages" aria-label="Stages">
              {f.stages.map((s) => (
                <li key={s} data-stage={s}>
                  <span className="stage-name">{STAGE_LABEL[s] ?? s}</span>
                  <strong className="stage-count">{f.total.counts[s] ?? 0}</strong>
                  <span className="muted">{s === 'issued' ? '' : pct(f.total.conversion[s])}</span>
                </li>
              ))}
            </ol>
            <div className="chart" aria-hidden="true">
              <ResponsiveContainer width="100%" height={260}>
                <BarChart
                  data={chart}
                  layout="vertical"
                  accessibilityLayer={false}
                  margin={{ left: 24, right: 16 }}
                >
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="stage" width={120} />
                  <Tooltip />
                  <Bar dataKey="count" fill="var(--accent)" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </section>
          {groupBy !== 'none' && (
            <section aria-labelledby="funnel-groups">
              <h2 id="funnel-groups">By {groupBy}</h2>
              <Table
                caption={`Funnel by ${groupBy}`}
                head={[groupBy, ...f.stages.map((s) => STAGE_LABEL[s] ?? s), 'Response rate']}
                empty={!f.groups.length}
              >
                {f.groups.map((g) => (
                  <tr key={g.key}>
                    <th scope="row">{g.label}</th>
                    {f.stages.map((s) => (
                      <td key={s}>
                        {g.counts[s] ?? 0}
                        {s !== 'issued' && <small className="muted"> {pct(g.conversion[s])}</small>}
                      </td>
                    ))}
                    <td>{g.counts.sent ? pct((g.counts.completed ?? 0) / g.counts.sent) : '—'}</td>
                  </tr>
                ))}
              </Table>
            </section>
          )}
          <section aria-labelledby="funnel-failures">
            <h2 id="funnel-failures">Not sent</h2>
            <Table
              caption="Invites that did not go out"
              head={['Outcome', 'Reason', 'Channel', 'Invites']}
              empty={!f.failures.length}
            >
              {f.failures.map((x) => (
                <tr key={`${x.status}-${x.reasonCode}-${x.channel}`}>
                  <td>{x.status}</td>
                  <td>{x.reasonCode ?? '—'}</td>
                  <td>{x.channel}</td>
                  <td>
                    <Link
                      to={`/activity?${new URLSearchParams({
                        distributionId,
                        status: x.status,
                        channel: x.channel,
                        ...(x.reasonCode ? { reasonCode: x.reasonCode } : {}),
                      }).toString()}`}
                    >
                      {x.count} invites
                    </Link>
                  </td>
                </tr>
              ))}
            </Table>
          </section>
        </>
      )}
    </div>
  );
}
