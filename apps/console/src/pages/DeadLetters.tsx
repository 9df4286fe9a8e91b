import { useState } from 'react';
import { asProblem, call, ops, useLoad, type ApiProblem } from '../api';
import { Badge, Loading, Page, Problem, SelectField, Table, when } from '../ui';

/** Messages a consumer gave up on, with the reason; redrive one, a group or all. */
export function DeadLetters() {
  const [status, setStatus] = useState<'pending' | 'redriven' | 'all'>('pending');
  const letters = useLoad(
    () => call(ops().GET('/ops/dead-letters', { params: { query: { status } } })),
    [status],
  );
  const summary = useLoad(() => call(ops().GET('/ops/dead-letters/summary')), [status]);
  const [problem, setProblem] = useState<ApiProblem>();
  const [note, setNote] = useState('');
  const done = (r: {
    redriven: number;
    republished: number;
    invitesReopened: number;
    webhooksReopened: number;
  }) => {
    setNote(
      `Redriven ${r.redriven}: ${r.republished} republished, ${r.invitesReopened} sends reopened, ${r.webhooksReopened} webhooks reopened.`,
    );
    setProblem(undefined);
    letters.reload();
    summary.reload();
  };
  const fail = (e: unknown) => setProblem(asProblem(e));
  const redriveOne = (id: string) =>
    call(ops().POST('/ops/dead-letters/{id}/redrive', { params: { path: { id } } })).then(done, fail);
  const redrive = (body: { topic?: string; code?: string; all?: true }) =>
    call(ops().POST('/ops/dead-letters/redrive', { body })).then(done, fail);
  return (
    <Page
      title="Dead letters"
      actions={
        <button type="button" onClick={() => void redrive({ all: true })}>
          Redrive all pending
        </button>
      }
    >
      <Problem problem={problem ?? letters.error} />
      {note && (
        <p className="ok" role="status">
          {note}
        </p>
      )}
      {summary.data && summary.data.length > 0 && (
        <Table caption="Pending by topic and code" head={['Topic', 'Code', 'Pending', '']}>
          {summary.data.map((s) => (
            <tr key={`${s.source_topic}-${s.code}`}>
              <td>{s.source_topic}</td>
              <td>{s.code}</td>
              <td>{s.n}</td>
              <td>
                <button type="button" onClick={() => void redrive({ topic: s.source_topic, code: s.code })}>
                  Redrive {s.n} ({s.code})
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <SelectField
        label="Show"
        value={status}
        options={['pending', 'redriven', 'all'] as const}
        onChange={setStatus}
      />
      {!letters.data && letters.loading && <Loading what="dead letters" />}
      {letters.data && (
        <Table
          caption="Dead letters"
          head={['Failed', 'Consumer', 'Topic', 'Code', 'Reason', 'Redriven', '']}
          empty={!letters.data.items.length}
        >
          {letters.data.items.map((l) => (
            <tr key={l.id}>
              <td>{when(l.failedAt)}</td>
              <td>{l.consumer}</td>
              <td>{l.topic}</td>
              <td>
                <Badge value={l.code} />
              </td>
              <td className="clip" title={l.reason}>
                {l.reason}
              </td>
              <td>{l.redrivenAt ? `${when(l.redrivenAt)} (${l.redriveCount}×)` : '—'}</td>
              <td>
                {!l.redrivenAt && (
                  <button type="button" onClick={() => void redriveOne(l.id)}>
                    Redrive
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Page>
  );
}
