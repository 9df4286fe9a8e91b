import { useId, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { ApiProblem } from './api';

/** A labelled form control with its error right under it (announced to screen readers). */
export function Field(props: {
  label: string;
  error?: string;
  hint?: string;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}) {
  const id = useId();
  const describedBy = [props.error ? `${id}-err` : '', props.hint ? `${id}-hint` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={`field${props.error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, describedBy || undefined)}
      {props.hint && (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      )}
      {props.error && (
        <small id={`${id}-err`} className="error" role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}

export function TextField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  hint?: string;
  type?: string;
  placeholder?: string;
  required?: boolean;
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {(id, d) => (
        <input
          id={id}
          type={props.type ?? 'text'}
          value={props.value}
          placeholder={props.placeholder}
          required={props.required}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={d}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

export function SelectField<T extends string>(props: {
  label: string;
  value: T;
  options: readonly (T | { value: T; label: string })[];
  onChange: (v: T) => void;
  error?: string;
  hint?: string;
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {(id, d) => (
        <select
          id={id}
          value={props.value}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={d}
          onChange={(e) => props.onChange(e.target.value as T)}
        >
          {props.options.map((o) => {
            const { value, label } = typeof o === 'string' ? { value: o, label: o } : o;
            return (
              <option key={value} value={value}>
                {label}
              </option>
            );
          })}
        </select>
      )}
    </Field>
  );
}

export function TextArea(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  hint?: string;
  rows?: number;
  mono?: boolean;
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {(id, d) => (
        <textarea
          id={id}
          rows={props.rows ?? 4}
          className={props.mono ? 'mono' : undefined}
          value={props.value}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={d}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

export function Problem({ problem }: { problem?: ApiProblem }) {
  if (!problem) return null;
  return (
    <div className="problem" role="alert">
      <strong>{problem.code}</strong> {problem.message}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

const TONE: Record<string, string> = {
  active: 'ok',
  delivered: 'ok',
  opened: 'ok',
  clicked: 'ok',
  'Invite Sent': 'ok',
  'Invite Opened': 'ok',
  Completed: 'ok',
  draft: 'info',
  pending: 'info',
  Pending: 'info',
  accepted: 'info',
  sending: 'info',
  deferred: 'warn',
  expired: 'warn',
  Quarantined: 'warn',
  Suppressed: 'warn',
  Unsubscribed: 'warn',
  revoked: 'warn',
  failed: 'bad',
  Failed: 'bad',
};

export function Badge({ value }: { value: string }) {
  return <span className={`badge ${TONE[value] ?? 'info'}`}>{value}</span>;
}

export function Page(props: { title: string; actions?: ReactNode; children: ReactNode; back?: string }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-head">
        <div>
          {props.back && (
            <Link className="back" to={props.back}>
              ← Back
            </Link>
          )}
          <h1 id="page-title">{props.title}</h1>
        </div>
        {props.actions && <div className="actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A table that scrolls sideways on a phone instead of the page. */
export function Table(props: { caption: string; head: string[]; children: ReactNode; empty?: boolean }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={props.caption}>
      <table>
        <caption className="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.empty ? (
            <tr>
              <td colSpan={props.head.length} className="muted">
                Nothing yet.
              </td>
            </tr>
          ) : (
            props.children
          )}
        </tbody>
      </table>
    </div>
  );
}

export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';

export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`;
