import { useEffect, useState } from 'react';
import { asProblem, call, fieldErrors, ops, useLoad, type ApiProblem, type Schemas } from '../api';
import { can, useMe } from '../App';
import { Loading, Problem, SelectField, Table, TextArea, TextField } from '../ui';

type Channel = 'email' | 'sms' | 'whatsapp';
type Kind = 'invitation' | 'reminder' | 'thank_you';
type TemplateInput = Schemas['TemplateInput'];

const SAMPLE = {
  caseId: 'SAMPLE-1',
  caseNumber: '1001',
  fields: { status: 'Resolved' },
  contact: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+14155550123' },
};

/** Templates per channel, kind and language, with a live preview, test send, and the sender accounts. */
export function Templates({ distribution }: { distribution: Schemas['Distribution'] }) {
  const me = useMe();
  const id = distribution.id;
  const list = useLoad(
    () => call(ops().GET('/ops/distributions/{id}/templates', { params: { path: { id } } })),
    [id],
  );
  const [editing, setEditing] = useState<TemplateInput | null>(null);
  const editable = can(me, 'distribution:edit');
  return (
    <div className="stack">
      <Problem problem={list.error} />
      {!list.data && list.loading && <Loading what="templates" />}
      {list.data && (
        <Table
          caption="Templates"
          head={['Channel', 'Kind', 'Language', 'Subject / text', '']}
          empty={!list.data.length}
        >
          {list.data.map((t) => (
            <tr key={t.id}>
              <td>{t.channel}</td>
              <td>{t.kind}</td>
              <td>{t.language}</td>
              <td className="clip">{t.subject ?? t.text ?? t.contentSid}</td>
              <td>
                <button
                  type="button"
                  onClick={() =>
                    setEditing({
                      channel: t.channel,
                      kind: t.kind,
                      language: t.language,
                      ...(t.subject !== null ? { subject: t.subject } : {}),
                      ...(t.text !== null ? { text: t.text } : {}),
                      ...(t.html !== null ? { html: t.html } : {}),
                      ...(t.contentSid !== null ? { contentSid: t.contentSid } : {}),
                      ...(t.contentVariables !== null ? { contentVariables: t.contentVariables } : {}),
                    })
                  }
                >
                  {editable ? 'Edit' : 'View'} {t.channel} {t.kind} {t.language}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      {editable && (
        <p>
          <button
            type="button"
            onClick={() =>
              setEditing({ channel: 'email', kind: 'invitation', language: 'en', subject: '', text: '' })
            }
          >
            New template
          </button>
        </p>
      )}
      {editing && (
        <TemplateEditor
          key={`${editing.channel}-${editing.kind}-${editing.language}`}
          distributionId={id}
          initial={editing}
          editable={editable}
          onSaved={() => list.reload()}
        />
      )}
      <ChannelSettings distribution={distribution} editable={editable} />
    </div>
  );
}

function TemplateEditor(props: {
  distributionId: string;
  initial: TemplateInput;
  editable: boolean;
  onSaved: () => void;
}) {
  const [t, setT] = useState<TemplateInput>(props.initial);
  const [problem, setProblem] = useState<ApiProblem>();
  const [preview, setPreview] = useState<Schemas['TemplatePreview']>();
  const [previewProblem, setPreviewProblem] = useState<ApiProblem>();
  const [note, setNote] = useState('');
  const [to, setTo] = useState('');
  const [variables, setVariables] = useState(
    props.initial.contentVariables ? JSON.stringify(props.initial.contentVariables, null, 2) : '',
  );
  const [variablesError, setVariablesError] = useState('');
  const errors = fieldErrors(problem);
  const set = (patch: Partial<TemplateInput>) => setT((x) => ({ ...x, ...patch }));
  const path = { params: { path: { id: props.distributionId } } };

  // Live preview of what is being typed (a draft the API renders without saving), 300 ms after the last key.
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      call(
        ops().POST('/ops/distributions/{id}/preview', {
          ...path,
          body: {
            channel: t.channel,
            kind: t.kind,
            language: t.language,
            case: SAMPLE,
            draft: {
              ...(t.subject !== undefined ? { subject: t.subject } : {}),
              ...(t.text !== undefined ? { text: t.text } : {}),
              ...(t.html !== undefined ? { html: t.html } : {}),
              ...(t.contentSid ? { contentSid: t.contentSid } : {}),
              ...(t.contentVariables ? { contentVariables: t.contentVariables } : {}),
            },
          },
        }),
      ).then(
        (p) => live && (setPreview(p), setPreviewProblem(undefined)),
        (e: unknown) => live && (setPreview(undefined), setPreviewProblem(asProblem(e))),
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [t, version]);

  const save = async () => {
    try {
      await call(ops().PUT('/ops/distributions/{id}/templates', { ...path, body: t }));
      setProblem(undefined);
      setNote('Template saved.');
      setVersion((v) => v + 1);
      props.onSaved();
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  const testSend = async () => {
    try {
      const r = await call(
        ops().POST('/ops/distributions/{id}/test-send', {
          ...path,
          body: { channel: t.channel, kind: t.kind, language: t.language, case: SAMPLE, to },
        }),
      );
      setNote(`Test message queued (invite ${r.inviteId}).`);
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  const m = preview?.message;
  return (
    <section className="card" aria-labelledby="template-editor">
      <h2 id="template-editor">
        Template: {t.channel} {t.kind} ({t.language})
      </h2>
      <Problem problem={problem} />
      {note && (
        <p className="ok" role="status">
          {note}
        </p>
      )}
      <div className="split">
        <fieldset disabled={!props.editable} className="plain form">
          <div className="row">
            <SelectField
              label="Channel"
              value={t.channel}
              options={['email', 'sms', 'whatsapp'] as const}
              onChange={(channel: Channel) => set({ channel })}
            />
            <SelectField
              label="Kind"
              value={t.kind}
              options={['invitation', 'reminder', 'thank_you'] as const}
              onChange={(kind: Kind) => set({ kind })}
            />
            <TextField
              label="Language"
              value={t.language}
              onChange={(language) => set({ language })}
              error={errors.get('language')}
            />
          </div>
          {t.channel === 'email' && (
            <TextField
              label="Subject"
              value={t.subject ?? ''}
              onChange={(subject) => set({ subject })}
              error={errors.get('subject')}
            />
          )}
          {t.channel === 'whatsapp' && (
            <TextField
              label="Content SID (approved template, outside the 24-hour window)"
              value={t.contentSid ?? ''}
              onChange={(contentSid) => set({ contentSid: contentSid || undefined })}
              error={errors.get('contentSid')}
            />
          )}
          {t.channel === 'whatsapp' && (
            <TextArea
              label="Content variables (JSON: template variable → Handlebars)"
              value={variables}
              onChange={(v) => {
                setVariables(v);
                try {
                  const parsed = v.trim() ? (JSON.parse(v) as Record<string, string>) : undefined;
                  set({ contentVariables: parsed });
                  setVariablesError('');
                } catch (e) {
                  setVariablesError((e as Error).message);
                }
              }}
              error={variablesError || errors.get('contentVariables')}
              rows={3}
              mono
              hint='e.g. {"1": "{{customer_name}}", "2": "{{survey_link}}"}'
            />
          )}
          <TextArea
            label={t.channel === 'email' ? 'Text' : 'Message'}
            value={t.text ?? ''}
            onChange={(text) => set({ text })}
            error={errors.get('text')}
            rows={6}
            hint="Handlebars: {{survey_link}}, {{customer_name}}, {{case_number}}, case fields, profile_<attribute>, tags"
          />
          {t.channel === 'email' && (
            <TextArea
              label="HTML"
              value={t.html ?? ''}
              onChange={(html) => set({ html })}
              error={errors.get('html')}
              rows={6}
              mono
            />
          )}
          {props.editable && (
            <div className="actions">
              <button type="button" className="primary" onClick={() => void save()}>
                Save template
              </button>
            </div>
          )}
          {props.editable && (
            <div className="row">
              <TextField
                label="Send a test to"
                value={to}
                onChange={setTo}
                placeholder={t.channel === 'email' ? 'you@example.com' : '+14155550123'}
                error={errors.get('to')}
              />
              <button type="button" onClick={() => void testSend()} disabled={!to}>
                Test send
              </button>
            </div>
          )}
        </fieldset>
        <div className="preview" aria-live="polite">
          <h3>Preview (as typed, sample case)</h3>
          {previewProblem && <p className="error">{previewProblem.message}</p>}
          {m?.channel === 'email' && (
            <div>
              <p>
                <strong>Subject:</strong> {m.subject}
              </p>
              <pre>{m.text}</pre>
            </div>
          )}
          {m && m.channel !== 'email' && <pre>{m.body ?? JSON.stringify(m, null, 2)}</pre>}
          {preview?.sms && (
            <p data-testid="sms-segments">
              {preview.sms.encoding} · {preview.sms.characters} characters · {preview.sms.segments} segment
              {preview.sms.segments === 1 ? '' : 's'}
            </p>
          )}
          {preview?.whatsapp && <p className="muted">{preview.whatsapp.note}</p>}
        </div>
      </div>
    </section>
  );
}

function ChannelSettings({
  distribution,
  editable,
}: {
  distribution: Schemas['Distribution'];
  editable: boolean;
}) {
  const a = distribution.accounts;
  const [fromEmail, setFromEmail] = useState(a.email?.fromEmail ?? '');
  const [fromName, setFromName] = useState(a.email?.fromName ?? '');
  const [smsFrom, setSmsFrom] = useState(a.sms?.from ?? a.sms?.messagingServiceSid ?? '');
  const [waFrom, setWaFrom] = useState(a.whatsapp?.from ?? '');
  const [waFallback, setWaFallback] = useState<'' | Channel>(distribution.fallback.whatsapp ?? '');
  const [smsFallback, setSmsFallback] = useState<'' | Channel>(distribution.fallback.sms ?? '');
  const [problem, setProblem] = useState<ApiProblem>();
  const [saved, setSaved] = useState(false);
  const errors = fieldErrors(problem);
  const save = async () => {
    const fallback = Object.fromEntries(
      [
        ['whatsapp', waFallback],
        ['sms', smsFallback],
      ].filter(([, v]) => v),
    ) as Schemas['ChannelSettingsInput']['fallback'];
    try {
      await call(
        ops().PUT('/ops/distributions/{id}/channels', {
          params: { path: { id: distribution.id } },
          body: {
            accounts: {
              ...(fromEmail ? { email: { fromEmail, ...(fromName ? { fromName } : {}) } } : {}),
              ...(smsFrom
                ? { sms: smsFrom.startsWith('MG') ? { messagingServiceSid: smsFrom } : { from: smsFrom } }
                : {}),
              ...(waFrom ? { whatsapp: { from: waFrom } } : {}),
            },
            fallback,
          },
        }),
      );
      setProblem(undefined);
      setSaved(true);
    } catch (e) {
      setSaved(false);
      setProblem(asProblem(e));
    }
  };
  return (
    <section className="card" aria-labelledby="channels">
      <h2 id="channels">Sender accounts</h2>
      <Problem problem={problem} />
      {saved && (
        <p className="ok" role="status">
          Sender accounts saved.
        </p>
      )}
      <fieldset disabled={!editable} className="plain form">
        <div className="row">
          <TextField
            label="Email from"
            value={fromEmail}
            onChange={setFromEmail}
            error={errors.get('accounts.email.fromEmail')}
          />
          <TextField label="Email sender name" value={fromName} onChange={setFromName} />
        </div>
        <div className="row">
          <TextField
            label="SMS from (number or MG… service)"
            value={smsFrom}
            onChange={setSmsFrom}
            error={errors.get('accounts.sms.from') ?? errors.get('accounts.sms')}
          />
          <SelectField
            label="When SMS fails, try"
            value={smsFallback}
            options={[{ value: '', label: 'nothing' }, 'email', 'whatsapp'] as const}
            onChange={setSmsFallback}
          />
        </div>
        <div className="row">
          <TextField
            label="WhatsApp from"
            value={waFrom}
            onChange={setWaFrom}
            error={errors.get('accounts.whatsapp.from')}
          />
          <SelectField
            label="When WhatsApp fails, try"
            value={waFallback}
            options={[{ value: '', label: 'nothing' }, 'sms', 'email'] as const}
            onChange={setWaFallback}
          />
        </div>
        {editable && (
          <button type="button" onClick={() => void save()}>
            Save sender accounts
          </button>
        )}
      </fieldset>
    </section>
  );
}
