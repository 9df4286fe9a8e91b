import { useState, type FormEvent } from 'react';
import type { ApiProblem, Schemas } from '../api';
import { fieldErrors } from '../api';
import { SelectField, TextArea, TextField } from '../ui';

export type DistributionInput = Schemas['DistributionInput'];

/** Every setting of a distribution, for creating and editing; errors shown at their field. */
export function DistributionForm(props: {
  initial: DistributionInput;
  surveys: Schemas['Survey'][];
  submitLabel: string;
  problem?: ApiProblem;
  onSubmit: (d: DistributionInput) => Promise<void>;
}) {
  const [d, setD] = useState<DistributionInput>(props.initial);
  const [tags, setTags] = useState(
    Object.entries(props.initial.tags ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(props.problem);
  const err = (path: string) => errors.get(path);
  const set = (patch: Partial<DistributionInput>) => setD((x) => ({ ...x, ...patch }));
  const expiry = d.expiry ?? { mode: 'none' as const };
  const limit = d.submissionLimit ?? null;
  const sendWin = d.sendWindow ?? null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const tagMap = Object.fromEntries(
        tags
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .map((l) => [
            l.slice(0, l.indexOf('=') < 0 ? l.length : l.indexOf('=')),
            l.slice(l.indexOf('=') + 1),
          ]),
      );
      await props.onSubmit({ ...d, tags: tagMap });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} noValidate>
      <fieldset>
        <legend>Basics</legend>
        <SelectField
          label="Survey"
          value={d.surveyId}
          options={props.surveys.map((s) => ({ value: s.id, label: s.name }))}
          onChange={(surveyId) => set({ surveyId })}
          error={err('surveyId')}
        />
        <TextField
          label="Name"
          value={d.name}
          onChange={(name) => set({ name })}
          error={err('name')}
          required
        />
        <TextArea
          label="Description"
          value={d.description ?? ''}
          onChange={(description) => set({ description })}
          error={err('description')}
          rows={2}
        />
        <SelectField
          label="Format"
          value={d.format ?? 'standard'}
          options={[
            { value: 'standard', label: 'Standard (one page)' },
            { value: 'conversational', label: 'Conversational (one question at a time)' },
          ]}
          onChange={(format) => set({ format })}
          error={err('format')}
        />
        <TextField
          label="Default language"
          value={d.defaultLanguage ?? 'en'}
          onChange={(defaultLanguage) => set({ defaultLanguage })}
          error={err('defaultLanguage')}
          hint="e.g. en, fr, pt-BR"
        />
        <TextField
          label="Opens at (optional)"
          type="datetime-local"
          value={d.startsAt ? toLocalInput(String(d.startsAt)) : ''}
          onChange={(v) => set({ startsAt: v ? new Date(v).toISOString() : null })}
          error={err('startsAt')}
        />
      </fieldset>

      <fieldset>
        <legend>Link expiry and submissions</legend>
        <SelectField
          label="Expiry"
          value={expiry.mode}
          options={[
            { value: 'none', label: 'Never' },
            { value: 'dynamic', label: 'A while after sending' },
            { value: 'static', label: 'At a fixed date' },
          ]}
          onChange={(mode) =>
            set({
              expiry:
                mode === 'none'
                  ? { mode }
                  : mode === 'dynamic'
                    ? { mode, amount: 7, unit: 'days' }
                    : { mode, at: new Date(Date.now() + 30 * 86_400_000).toISOString() },
            })
          }
          error={err('expiry') ?? err('expiry.mode')}
        />
        {expiry.mode === 'dynamic' && (
          <div className="row">
            <TextField
              label="Expires after"
              type="number"
              value={String(expiry.amount)}
              onChange={(v) => set({ expiry: { ...expiry, amount: Number(v) } })}
              error={err('expiry.amount')}
            />
            <SelectField
              label="Unit"
              value={expiry.unit}
              options={['hours', 'days'] as const}
              onChange={(unit) => set({ expiry: { ...expiry, unit } })}
            />
          </div>
        )}
        {expiry.mode === 'static' && (
          <TextField
            label="Expires at"
            type="datetime-local"
            value={toLocalInput(expiry.at)}
            onChange={(v) => set({ expiry: { mode: 'static', at: v ? new Date(v).toISOString() : '' } })}
            error={err('expiry.at')}
          />
        )}
        <SelectField
          label="Submissions per link"
          value={limit ? 'limited' : 'unlimited'}
          options={[
            { value: 'unlimited', label: 'Default: one answer per case (no limit for links without a case)' },
            { value: 'limited', label: 'Limited' },
          ]}
          onChange={(v) => set({ submissionLimit: v === 'limited' ? { allowed: 1, reset: null } : null })}
        />
        {limit && (
          <div className="row">
            <TextField
              label="Allowed"
              type="number"
              value={String(limit.allowed)}
              onChange={(v) => set({ submissionLimit: { ...limit, allowed: Number(v) } })}
              error={err('submissionLimit.allowed')}
            />
            <SelectField
              label="Resets"
              value={limit.reset ? limit.reset.unit : 'never'}
              options={['never', 'days', 'weeks', 'months', 'years'] as const}
              onChange={(u) =>
                set({ submissionLimit: { ...limit, reset: u === 'never' ? null : { amount: 1, unit: u } } })
              }
            />
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Quiet hours</legend>
        <SelectField
          label="Send"
          value={sendWin ? 'sendWin' : 'any'}
          options={[
            { value: 'any', label: 'At any time' },
            { value: 'sendWin', label: 'Only within a sendWin (recipient’s local time)' },
          ]}
          onChange={(v) =>
            set({
              sendWindow:
                v === 'sendWin'
                  ? { days: [1, 2, 3, 4, 5], start: '09:00', end: '20:00', timeZone: 'Europe/Paris' }
                  : null,
            })
          }
        />
        {sendWin && (
          <div className="row">
            <TextField
              label="From"
              value={sendWin.start}
              onChange={(start) => set({ sendWindow: { ...sendWin, start } })}
              error={err('sendWindow.start')}
            />
            <TextField
              label="Until"
              value={sendWin.end}
              onChange={(end) => set({ sendWindow: { ...sendWin, end } })}
              error={err('sendWindow.end')}
            />
            <TextField
              label="Days (1 = Monday)"
              value={sendWin.days.join(',')}
              onChange={(v) =>
                set({
                  sendWindow: {
                    ...sendWin,
                    days: v
                      .split(',')
                      .map((x) => Number(x.trim()))
                      .filter((x) => x > 0),
                  },
                })
              }
              error={err('sendWindow.days')}
            />
            <TextField
              label="Time zone"
              value={sendWin.timeZone}
              onChange={(timeZone) => set({ sendWindow: { ...sendWin, timeZone } })}
              error={err('sendWindow.timeZone')}
            />
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Hosting and tags</legend>
        <SelectField
          label="Survey page"
          value={d.hosting?.mode ?? 'hosted'}
          options={[
            { value: 'hosted', label: 'Hosted by feedback-gateway' },
            { value: 'external', label: 'A survey tool elsewhere' },
          ]}
          onChange={(mode) =>
            set({ hosting: mode === 'hosted' ? { mode } : { mode, url: 'https://surveys.example.com/take' } })
          }
        />
        {d.hosting?.mode === 'external' && (
          <TextField
            label="Survey URL (https)"
            value={d.hosting.url}
            onChange={(url) => set({ hosting: { mode: 'external', url } })}
            error={err('hosting.url')}
          />
        )}
        <TextArea
          label="Tags (name=value, one a line)"
          value={tags}
          onChange={setTags}
          rows={3}
          error={[...errors].find(([k]) => k.startsWith('tags'))?.[1]}
          hint="Columns on every response and export, e.g. program=support-csat"
        />
      </fieldset>
      <fieldset>
        <legend>Survey page look</legend>
        <TextField
          label="Logo (https URL)"
          value={d.branding?.logoUrl ?? ''}
          onChange={(logoUrl) => set({ branding: { ...d.branding, logoUrl: logoUrl || undefined } })}
          error={err('branding.logoUrl')}
        />
        <div className="row">
          <TextField
            label="Accent colour"
            type="color"
            value={d.branding?.accentColor ?? '#2450b8'}
            onChange={(accentColor) => set({ branding: { ...d.branding, accentColor } })}
            error={err('branding.accentColor')}
          />
          <TextField
            label="Sender name"
            value={d.branding?.senderName ?? ''}
            onChange={(senderName) =>
              set({ branding: { ...d.branding, senderName: senderName || undefined } })
            }
            error={err('branding.senderName')}
            hint="Shown under the logo, e.g. Acme Support"
          />
        </div>
      </fieldset>
      <button type="submit" className="primary" disabled={busy}>
        {props.submitLabel}
      </button>
    </form>
  );
}

function toLocalInput(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '';
  const local = new Date(t.getTime() - t.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
