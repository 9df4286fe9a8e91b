import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { call, ops, session, useLoad, type Schemas } from '../api';
import { Loading, Problem, SelectField, Table, TextField, when } from '../ui';

const npsColour = (v: string) =>
  Number(v) >= 9 ? 'var(--ok)' : Number(v) >= 7 ? 'var(--warn)' : 'var(--bad)';

/** Response analytics of the distribution's survey: NPS, ratings, choices, free text; filters; CSV export. */
export function Results(props: {
  survey: Schemas['Survey'];
  distributionId: string;
  tags: Record<string, string>;
}) {
  const [scope, setScope] = useState<'distribution' | 'survey'>('distribution');
  const [channel, setChannel] = useState<'' | 'email' | 'sms' | 'whatsapp'>('');
  const [language, setLanguage] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [tag, setTag] = useState('');
  const results = useLoad(
    () =>
      call(
        ops().GET('/ops/surveys/{id}/results', {
          params: {
            path: { id: props.survey.id },
            query: {
              ...(scope === 'distribution' ? { distributionId: props.distributionId } : {}),
              ...(channel ? { channel } : {}),
              ...(language ? { language } : {}),
              ...(from ? { from } : {}),
              ...(to ? { to } : {}),
              ...(tag.includes(':') ? { tag } : {}),
            },
          },
        }),
      ),
    [props.survey.id, props.distributionId, scope, channel, language, from, to, tag],
  );
  const r = results.data;
  const download = async () => {
    // The export takes the same filters as the analytics above.
    const query = new URLSearchParams({
      ...(channel ? { channel } : {}),
      ...(language ? { language } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    }).toString();
    const res = await fetch(
      `/ops/distributions/${props.distributionId}/responses.csv${query ? `?${query}` : ''}`,
      {
        headers: { Authorization: `Bearer ${session.key() ?? ''}` },
      },
    );
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `responses-${props.distributionId}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <div className="stack">
      <form className="filters" aria-label="Response filters" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Responses of"
          value={scope}
          options={[
            { value: 'distribution', label: 'This distribution' },
            { value: 'survey', label: 'Every distribution of the survey' },
          ]}
          onChange={setScope}
        />
        <SelectField
          label="Channel"
          value={channel}
          options={[{ value: '', label: 'All channels' }, 'email', 'sms', 'whatsapp'] as const}
          onChange={setChannel}
        />
        <TextField label="Language" value={language} onChange={setLanguage} placeholder="all" />
        <TextField label="From" type="date" value={from} onChange={setFrom} />
        <TextField label="To" type="date" value={to} onChange={setTo} />
        <TextField
          label="Tag"
          value={tag}
          onChange={setTag}
          placeholder={Object.keys(props.tags)[0] ? `${Object.keys(props.tags)[0]}:value` : 'name:value'}
        />
      </form>
      <p>
        <button type="button" onClick={() => void download()}>
          Export responses (CSV)
        </button>
      </p>
      <Problem problem={results.error} />
      {!r && results.loading && <Loading what="responses" />}
      {r && (
        <>
          <p className="lead" aria-live="polite">
            <strong data-testid="response-count">{r.responses}</strong> completed responses
          </p>
          {r.questions.map((q) => (
            <section key={q.id} className="card" aria-labelledby={`q-${q.id}`}>
              <h2 id={`q-${q.id}`}>{q.label || q.id}</h2>
              {q.nps && (
                <div className="nps" data-testid={`nps-${q.id}`}>
                  <div className="score">
                    <span className="muted">NPS</span>
                    <strong>{q.nps.score === null ? '—' : q.nps.score}</strong>
                  </div>
                  <dl>
                    <div>
                      <dt>Promoters (9–10)</dt>
                      <dd>{q.nps.promoters}</dd>
                    </div>
                    <div>
                      <dt>Passives (7–8)</dt>
                      <dd>{q.nps.passives}</dd>
                    </div>
                    <div>
                      <dt>Detractors (0–6)</dt>
                      <dd>{q.nps.detractors}</dd>
                    </div>
                  </dl>
                </div>
              )}
              {q.average !== undefined && q.average !== null && (
                <p>
                  Average <strong>{q.average}</strong> over {q.answered} answers
                </p>
              )}
              {q.distribution && (
                <div className="chart" aria-hidden="true">
                  <ResponsiveContainer width="100%" height={200}>
                    <BarChart data={q.distribution} accessibilityLayer={false}>
                      <CartesianGrid strokeDasharray="3 3" />
                      <XAxis dataKey="label" />
                      <YAxis allowDecimals={false} />
                      <Tooltip />
                      <Bar dataKey="count" isAnimationActive={false}>
                        {q.distribution.map((b) => (
                          <Cell
                            key={b.value}
                            fill={q.type === 'nps' ? npsColour(b.value) : 'var(--accent)'}
                          />
                        ))}
                      </Bar>
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              )}
              {q.distribution && (
                <Table caption={`Answers to ${q.label || q.id}`} head={['Answer', 'Count']}>
                  {q.distribution.map((b) => (
                    <tr key={b.value}>
                      <td>{b.label}</td>
                      <td>{b.count}</td>
                    </tr>
                  ))}
                </Table>
              )}
              {q.texts && (
                <ul className="texts">
                  {q.texts.length === 0 && <li className="muted">No answers yet.</li>}
                  {q.texts.map((t) => (
                    <li key={t.responseId}>
                      <blockquote>{t.text}</blockquote>
                      <small className="muted">{when(t.submittedAt)}</small>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))}
        </>
      )}
    </div>
  );
}
