import { useState, type ReactNode } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import {
  asProblem,
  call,
  fieldErrors,
  ops,
  problemOf,
  session,
  useLoad,
  type ApiProblem,
  type Schemas,
} from '../api';
import { can, useMe } from '../App';
import { Loading, Page, Problem, SelectField, TextArea, TextField, when } from '../ui';

type RuleInput = Schemas['RuleInput'];
type Distribution = Schemas['Distribution'];
/** A condition tree as the rules API takes it (the editor works on this shape directly). */
type Cond = Record<string, unknown>;
type Action = Record<string, unknown>;
type Errors = Map<string, string>;
/** A scalar of the tree as text (anything else: empty). */
const str = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

const FIELD_OPS = [
  'equals',
  'not_equals',
  'changed_to',
  'changed_from',
  'in',
  'not_in',
  'contains',
  'exists',
  'changed',
  'gt',
  'gte',
  'lt',
  'lte',
  'before',
  'after',
] as const;
const INVITE_STATUSES = [
  'No Invite',
  'Pending',
  'Invite Sent',
  'Invite Opened',
  'Failed',
  'Quarantined',
  'Suppressed',
  'Unsubscribed',
];
const RESPONSE_STATUSES = ['Not Started', 'Survey Opened', 'In Progress', 'Partially Completed', 'Completed'];
const ACTION_TYPES = [
  'send_invitation',
  'send_reminder',
  'send_thank_you',
  'issue_link',
  'set_field',
  'move_to_queue',
] as const;

const NEW_RULE: RuleInput = {
  name: '',
  trigger: 'case.updated',
  enabled: false,
  priority: 100,
  conditions: { all: [{ field: 'status', op: 'changed_to', value: 'Resolved' }] },
  actions: [],
};

/** Errors at `path` and those under it that no control shows, for the nearest container to show. */
const at = (errors: Errors, path: string) => errors.get(path);

/** Create or edit a rule: conditions and ordered actions, errors where they are, dry run, versions. */
export function RuleEditor() {
  const { id } = useParams();
  const loaded = useLoad(async () => {
    const distributions = await call(ops().GET('/ops/distributions'));
    const rule = id ? await call(ops().GET('/ops/rules/{id}', { params: { path: { id } } })) : null;
    return { distributions, rule };
  }, [id]);
  if (loaded.error) return <Problem problem={loaded.error} />;
  if (!loaded.data) return <Loading what="the rule" />;
  return (
    <Editor
      key={`${id ?? 'new'}-${loaded.data.rule?.version ?? 0}`}
      rule={loaded.data.rule}
      distributions={loaded.data.distributions}
      onSaved={loaded.reload}
    />
  );
}

function Editor(props: {
  rule: Schemas['RuleWithVersions'] | null;
  distributions: Distribution[];
  onSaved: () => void;
}) {
  const navigate = useNavigate();
  const r = props.rule;
  const [rule, setRule] = useState<RuleInput>(
    r
      ? {
          name: r.name,
          description: r.description,
          trigger: r.trigger,
          enabled: r.enabled,
          priority: r.priority,
          conditions: r.conditions,
          actions: r.actions,
        }
      : NEW_RULE,
  );
  const [problem, setProblem] = useState<ApiProblem>();
  const [note, setNote] = useState('');
  const errors = fieldErrors(problem);
  const set = (patch: Partial<RuleInput>) => setRule((x) => ({ ...x, ...patch }));
  const actions = rule.actions as unknown as Action[];
  const setActions = (a: Action[]) => set({ actions: a as unknown as RuleInput['actions'] });

  const save = async () => {
    setNote('');
    try {
      if (r) {
        await call(ops().PUT('/ops/rules/{id}', { params: { path: { id: r.id } }, body: rule }));
        setProblem(undefined);
        setNote('Saved as a new version.');
        props.onSaved();
      } else {
        const created = await call(ops().POST('/ops/rules', { body: rule }));
        void navigate(`/rules/${created.id}`);
      }
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  const unplaced = [...errors].filter(
    ([k]) =>
      !k.startsWith('conditions') &&
      !k.startsWith('actions') &&
      !['name', 'trigger', 'priority', 'description'].includes(k),
  );

  return (
    <Page title={r ? `Rule: ${r.name}` : 'New rule'} back="/rules">
      {problem && (
        <div className="problem" role="alert">
          <strong>{problem.code}</strong> {problem.message}
          {problem.fields.length > 0 && <span> — {problem.fields.length} problem(s) marked below.</span>}
          {unplaced.map(([k, m]) => (
            <div key={k}>
              {k}: {m}
            </div>
          ))}
        </div>
      )}
      {note && (
        <p className="ok" role="status">
          {note}
        </p>
      )}
      <form className="form" onSubmit={(e) => (e.preventDefault(), void save())} noValidate>
        <fieldset>
          <legend>Rule</legend>
          <TextField
            label="Name"
            value={rule.name}
            onChange={(name) => set({ name })}
            error={errors.get('name')}
          />
          <TextArea
            label="Description"
            value={rule.description ?? ''}
            onChange={(description) => set({ description })}
            rows={2}
          />
          <div className="row">
            <SelectField
              label="When"
              value={rule.trigger}
              options={[
                { value: 'case.created', label: 'a case is created' },
                { value: 'case.updated', label: 'a case is updated' },
                { value: 'invite.status.changed', label: 'an invite status changes' },
                { value: 'response.status.changed', label: 'a response status changes' },
              ]}
              onChange={(trigger) => set({ trigger })}
              error={errors.get('trigger')}
            />
            <TextField
              label="Priority (lower runs first)"
              type="number"
              value={String(rule.priority ?? 100)}
              onChange={(v) => set({ priority: Number(v) })}
              error={errors.get('priority')}
            />
            <label className="check">
              <input
                type="checkbox"
                checked={rule.enabled ?? true}
                onChange={(e) => set({ enabled: e.target.checked })}
              />
              Enabled
            </label>
          </div>
        </fieldset>
        <fieldset>
          <legend>If</legend>
          <CondEditor
            value={rule.conditions}
            path="conditions"
            errors={errors}
            distributions={props.distributions}
            onChange={(c) => set({ conditions: c as unknown as RuleInput['conditions'] })}
          />
        </fieldset>
        <fieldset>
          <legend>Then, in order</legend>
          {at(errors, 'actions') && (
            <p className="error" role="alert">
              {at(errors, 'actions')}
            </p>
          )}
          <ol className="actions-list">
            {actions.map((a, i) => (
              <li key={i}>
                <ActionEditor
                  value={a}
                  path={`actions.${i}`}
                  errors={errors}
                  distributions={props.distributions}
                  onChange={(x) => setActions(actions.map((y, j) => (j === i ? x : y)))}
                />
                <div className="actions">
                  <button type="button" disabled={i === 0} onClick={() => setActions(move(actions, i, -1))}>
                    Move up
                  </button>
                  <button
                    type="button"
                    disabled={i === actions.length - 1}
                    onClick={() => setActions(move(actions, i, 1))}
                  >
                    Move down
                  </button>
                  <button type="button" onClick={() => setActions(actions.filter((_, j) => j !== i))}>
                    Remove action {i + 1}
                  </button>
                </div>
              </li>
            ))}
          </ol>
          <button
            type="button"
            onClick={() =>
              setActions([
                ...actions,
                {
                  type: 'send_invitation',
                  distributionId: props.distributions[0]?.id ?? '',
                  channel: 'email',
                },
              ])
            }
          >
            Add action
          </button>
        </fieldset>
        <button type="submit" className="primary">
          {r ? 'Save rule' : 'Create rule'}
        </button>
      </form>
      {r && <DryRun ruleId={r.id} />}
      {r && r.versions.length > 1 && <Versions ruleId={r.id} versions={r.versions.map((v) => v.version)} />}
    </Page>
  );
}

const move = <T,>(xs: T[], i: number, by: number) => {
  const out = [...xs];
  const [x] = out.splice(i, 1);
  out.splice(i + by, 0, x);
  return out;
};

function CondEditor(props: {
  value: Cond;
  path: string;
  errors: Errors;
  distributions: Distribution[];
  onChange: (c: Cond) => void;
  onRemove?: () => void;
}) {
  const { value: c, path, errors } = props;
  const own = at(errors, path);
  const remove = props.onRemove && (
    <button type="button" className="link" onClick={props.onRemove}>
      Remove
    </button>
  );
  if ('all' in c || 'any' in c) {
    const kind = 'all' in c ? 'all' : 'any';
    const children = (c[kind] as Cond[]) ?? [];
    const setChildren = (xs: Cond[]) => props.onChange({ [kind]: xs });
    return (
      <div
        className={`cond-group${own ? ' invalid' : ''}`}
        role="group"
        aria-label={`${kind === 'all' ? 'All' : 'Any'} of`}
      >
        <div className="row">
          <SelectField
            label="Match"
            value={kind}
            options={[
              { value: 'all', label: 'all of these' },
              { value: 'any', label: 'any of these' },
            ]}
            onChange={(k) => props.onChange({ [k]: children })}
          />
          {remove}
        </div>
        {(own ?? at(errors, `${path}.${kind}`)) && (
          <p className="error" role="alert">
            {own ?? at(errors, `${path}.${kind}`)}
          </p>
        )}
        <ul>
          {children.map((child, i) => (
            <li key={i}>
              <CondEditor
                {...props}
                value={child}
                path={`${path}.${kind}.${i}`}
                onChange={(x) => setChildren(children.map((y, j) => (j === i ? x : y)))}
                onRemove={() => setChildren(children.filter((_, j) => j !== i))}
              />
            </li>
          ))}
        </ul>
        <div className="actions">
          <button
            type="button"
            onClick={() => setChildren([...children, { field: 'status', op: 'equals', value: '' }])}
          >
            Add field condition
          </button>
          <button
            type="button"
            onClick={() =>
              setChildren([
                ...children,
                {
                  survey: 'response_status',
                  distributionId: props.distributions[0]?.id ?? '',
                  op: 'not_in',
                  value: ['Completed'],
                },
              ])
            }
          >
            Add survey condition
          </button>
          <button type="button" onClick={() => setChildren([...children, { any: [] }])}>
            Add group
          </button>
        </div>
      </div>
    );
  }
  if ('not' in c)
    return (
      <div className="cond-group" role="group" aria-label="Not">
        <p>
          <strong>Not</strong> {remove}
        </p>
        <CondEditor
          {...props}
          value={c.not as Cond}
          path={`${path}.not`}
          onChange={(x) => props.onChange({ not: x })}
          onRemove={undefined}
        />
      </div>
    );
  const err = (k: string) => at(errors, `${path}.${k}`);
  if ('survey' in c) {
    const kind = c.survey as string;
    const values = (c.value as string[] | undefined) ?? [];
    const options = kind === 'invite_status' ? INVITE_STATUSES : RESPONSE_STATUSES;
    return (
      <Leaf error={own}>
        <div className="row">
          <SelectField
            label="Survey condition"
            value={kind as 'invite_status'}
            options={[
              { value: 'invite_status', label: 'invite status' },
              { value: 'response_status', label: 'response status' },
              { value: 'last_sent_before', label: 'last sent more than … ago' },
            ]}
            onChange={(survey) =>
              props.onChange(
                survey === 'last_sent_before'
                  ? { survey, distributionId: c.distributionId, amount: 48, unit: 'hours' }
                  : { survey, distributionId: c.distributionId, op: 'in', value: [] },
              )
            }
          />
          <SelectField
            label="Distribution"
            value={str(c.distributionId)}
            options={[
              { value: '', label: '—' },
              ...props.distributions.map((d) => ({ value: d.id, label: d.name })),
            ]}
            onChange={(distributionId) => props.onChange({ ...c, distributionId })}
            error={err('distributionId')}
          />
          {remove}
        </div>
        {kind === 'last_sent_before' ? (
          <div className="row">
            <TextField
              label="Amount"
              type="number"
              value={str(c.amount)}
              onChange={(v) => props.onChange({ ...c, amount: Number(v) })}
              error={err('amount')}
            />
            <SelectField
              label="Unit"
              value={(str(c.unit) || String('hours')) as 'hours'}
              options={['minutes', 'hours', 'days', 'weeks'] as const}
              onChange={(unit) => props.onChange({ ...c, unit })}
              error={err('unit')}
            />
          </div>
        ) : (
          <>
            <SelectField
              label="Is"
              value={(str(c.op) || String('in')) as 'in'}
              options={[
                { value: 'in', label: 'one of' },
                { value: 'not_in', label: 'none of' },
              ]}
              onChange={(op) => props.onChange({ ...c, op })}
            />
            <fieldset className={`checks${err('value') ? ' invalid' : ''}`}>
              <legend>Statuses</legend>
              {options.map((o) => (
                <label key={o} className="check">
                  <input
                    type="checkbox"
                    checked={values.includes(o)}
                    onChange={(e) =>
                      props.onChange({
                        ...c,
                        value: e.target.checked ? [...values, o] : values.filter((v) => v !== o),
                      })
                    }
                  />
                  {o}
                </label>
              ))}
              {err('value') && (
                <small className="error" role="alert">
                  {err('value')}
                </small>
              )}
            </fieldset>
          </>
        )}
      </Leaf>
    );
  }
  const op = str(c.op) || String('equals');
  const noValue = op === 'exists' || op === 'changed';
  const list = op === 'in' || op === 'not_in';
  const numeric = ['gt', 'gte', 'lt', 'lte'].includes(op);
  const shown = list ? ((c.value as unknown[]) ?? []).join(', ') : str(c.value);
  return (
    <Leaf error={own}>
      <div className="row">
        <TextField
          label="Case field"
          value={str(c.field)}
          onChange={(field) => props.onChange({ ...c, field })}
          error={err('field')}
          hint="e.g. status, priority, custom.survey_state"
        />
        <SelectField
          label="Operator"
          value={op as (typeof FIELD_OPS)[number]}
          options={FIELD_OPS}
          onChange={(o) => {
            const { value: _v, ...rest } = c;
            props.onChange(o === 'exists' || o === 'changed' ? { ...rest, op: o } : { ...c, op: o });
          }}
          error={err('op')}
        />
        {!noValue && (
          <TextField
            label={list ? 'Values (comma-separated)' : 'Value'}
            value={shown}
            onChange={(v) =>
              props.onChange({
                ...c,
                value: list
                  ? v
                      .split(',')
                      .map((x) => x.trim())
                      .filter(Boolean)
                  : numeric && v.trim() !== '' && !Number.isNaN(Number(v))
                    ? Number(v)
                    : v,
              })
            }
            error={err('value')}
          />
        )}
        {remove}
      </div>
    </Leaf>
  );
}

function Leaf({ error, children }: { error?: string; children: ReactNode }) {
  return (
    <div className={`cond${error ? ' invalid' : ''}`}>
      {children}
      {error && (
        <small className="error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

function ActionEditor(props: {
  value: Action;
  path: string;
  errors: Errors;
  distributions: Distribution[];
  onChange: (a: Action) => void;
}) {
  const a = props.value;
  const err = (k: string) => at(props.errors, `${props.path}.${k}`);
  const type = String(a.type) as (typeof ACTION_TYPES)[number];
  const survey = type !== 'set_field' && type !== 'move_to_queue';
  const sends = type.startsWith('send_');
  return (
    <div className={`action${at(props.errors, props.path) ? ' invalid' : ''}`}>
      <div className="row">
        <SelectField
          label="Action"
          value={type}
          options={ACTION_TYPES}
          onChange={(t) =>
            props.onChange(
              t === 'set_field'
                ? { type: t, field: 'custom.survey_state', value: '' }
                : t === 'move_to_queue'
                  ? { type: t, queue: '' }
                  : t === 'issue_link'
                    ? { type: t, distributionId: a.distributionId ?? '', linkField: 'survey_link' }
                    : { type: t, distributionId: a.distributionId ?? '', channel: a.channel ?? 'email' },
            )
          }
          error={err('type')}
        />
        {survey && (
          <SelectField
            label="Distribution"
            value={str(a.distributionId)}
            options={[
              { value: '', label: '—' },
              ...props.distributions.map((d) => ({ value: d.id, label: d.name })),
            ]}
            onChange={(distributionId) => props.onChange({ ...a, distributionId })}
            error={err('distributionId')}
          />
        )}
        {sends && (
          <SelectField
            label="Channel"
            value={(str(a.channel) || String('email')) as 'email'}
            options={['email', 'sms', 'whatsapp'] as const}
            onChange={(channel) => props.onChange({ ...a, channel })}
            error={err('channel')}
          />
        )}
      </div>
      {survey && (
        <div className="row">
          <TextField
            label={
              type === 'issue_link'
                ? 'Write the link to case field'
                : 'Write the link to case field (optional)'
            }
            value={str(a.linkField)}
            onChange={(v) => {
              const { linkField: _l, ...rest } = a;
              props.onChange(v ? { ...a, linkField: v } : rest);
            }}
            error={err('linkField')}
          />
          {sends && (
            <TextField
              label="Language (optional)"
              value={str(a.language)}
              onChange={(v) => {
                const { language: _l, ...rest } = a;
                props.onChange(v ? { ...a, language: v } : rest);
              }}
              error={err('language')}
              hint='a code, or "last_message"'
            />
          )}
          {type === 'send_reminder' && (
            <TextField
              label="At most this many reminders"
              type="number"
              value={str(a.maxReminders) || String(1)}
              onChange={(v) => props.onChange({ ...a, maxReminders: Number(v) })}
              error={err('maxReminders')}
            />
          )}
        </div>
      )}
      {type === 'set_field' && (
        <div className="row">
          <TextField
            label="Field"
            value={str(a.field)}
            onChange={(field) => props.onChange({ ...a, field })}
            error={err('field')}
          />
          <TextField
            label="Value"
            value={str(a.value)}
            onChange={(value) => props.onChange({ ...a, value })}
            error={err('value')}
          />
        </div>
      )}
      {type === 'move_to_queue' && (
        <TextField
          label="Queue"
          value={str(a.queue)}
          onChange={(queue) => props.onChange({ ...a, queue })}
          error={err('queue')}
        />
      )}
      {at(props.errors, props.path) && (
        <small className="error" role="alert">
          {at(props.errors, props.path)}
        </small>
      )}
    </div>
  );
}

function DryRun({ ruleId }: { ruleId: string }) {
  const [sample, setSample] = useState(
    JSON.stringify(
      {
        caseId: 'SAMPLE-1',
        caseNumber: '1001',
        fields: { status: 'Resolved' },
        previous: { status: 'Open' },
        contact: { name: 'Ada Lovelace', email: 'ada@example.com' },
      },
      null,
      2,
    ),
  );
  const [result, setResult] = useState<Schemas['RuleDryRun']>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [fired, setFired] = useState('');
  const me = useMe();
  /** The sample as a real case event (what the CRM would send): the rules run on it for real. */
  const fire = async () => {
    setFired('');
    let kase: Record<string, unknown>;
    try {
      kase = JSON.parse(sample) as Record<string, unknown>;
    } catch (e) {
      setProblem({ status: 0, code: 'INVALID_JSON', message: (e as Error).message, fields: [] });
      return;
    }
    const id = `console-${crypto.randomUUID()}`;
    const res = await fetch('/events/cases', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${session.key() ?? ''}`,
        'Content-Type': 'application/cloudevents+json',
      },
      body: JSON.stringify({
        specversion: '1.0',
        id,
        source: 'feedback-gateway-console',
        type: 'case.updated',
        data: kase,
      }),
    });
    if (res.ok) {
      setProblem(undefined);
      setFired(`Case event ${id} sent: follow case ${String(kase.caseId)} in Activity.`);
    } else setProblem(problemOf(await res.json().catch(() => ({})), res.status));
  };
  const run = async () => {
    setResult(undefined);
    let kase: Schemas['RuleDryRunInput']['case'];
    try {
      kase = JSON.parse(sample) as Schemas['RuleDryRunInput']['case'];
    } catch (e) {
      setProblem({ status: 0, code: 'INVALID_JSON', message: (e as Error).message, fields: [] });
      return;
    }
    try {
      setResult(
        await call(
          ops().POST('/ops/rules/{id}/dry-run', { params: { path: { id: ruleId } }, body: { case: kase } }),
        ),
      );
      setProblem(undefined);
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  return (
    <section className="card" aria-labelledby="dry-run">
      <h2 id="dry-run">Dry run</h2>
      <p className="muted">Evaluates the saved rule against a sample case event; changes nothing.</p>
      <TextArea
        label="Sample case (JSON)"
        value={sample}
        onChange={setSample}
        rows={8}
        mono
        error={problem?.message}
      />
      <div className="actions">
        <button type="button" onClick={() => void run()}>
          Run dry run
        </button>
        {can(me, 'case-events:publish') && (
          <button type="button" onClick={() => void fire()}>
            Send as a real case event
          </button>
        )}
      </div>
      {fired && (
        <p className="ok" role="status">
          {fired}
        </p>
      )}
      {result && (
        <div className="trace" aria-live="polite">
          <p>
            <strong data-testid="dry-run-outcome">{result.matched ? 'Matches' : 'Does not match'}</strong>
            {!result.triggerMatches && ' (the trigger does not match)'}
          </p>
          <Trace node={result.conditions} />
          {result.actions.length > 0 && (
            <ol>
              {result.actions.map((a) => (
                <li key={a.index}>
                  {a.type}: {a.outcome}
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </section>
  );
}

export function Trace({ node }: { node: Schemas['ConditionTrace'] }) {
  return (
    <ul className="trace-tree">
      <li>
        <span className={node.result ? 'pass' : 'fail'}>{node.result ? '✔' : '✘'}</span> {node.condition}
        {node.saw && <small className="muted"> (saw {JSON.stringify(node.saw)})</small>}
        {node.children?.map((c, i) => (
          <Trace key={i} node={c} />
        ))}
      </li>
    </ul>
  );
}

function Versions({ ruleId, versions }: { ruleId: string; versions: number[] }) {
  const sorted = [...versions].sort((a, b) => b - a);
  const [left, setLeft] = useState(String(sorted[1]));
  const [right, setRight] = useState(String(sorted[0]));
  const pair = useLoad(
    () =>
      Promise.all(
        [left, right].map((v) =>
          call(
            ops().GET('/ops/rules/{id}/versions/{version}', {
              params: { path: { id: ruleId, version: Number(v) } },
            }),
          ),
        ),
      ),
    [ruleId, left, right],
  );
  const show = (v: Schemas['RuleVersion']) =>
    JSON.stringify(
      {
        name: v.name,
        trigger: v.trigger,
        enabled: v.enabled,
        priority: v.priority,
        conditions: v.conditions,
        actions: v.actions,
      },
      null,
      2,
    ).split('\n');
  const options = sorted.map((v) => ({ value: String(v), label: `v${v}` }));
  return (
    <section className="card" aria-labelledby="versions">
      <h2 id="versions">Versions side by side</h2>
      <div className="row">
        <SelectField label="Left" value={left} options={options} onChange={setLeft} />
        <SelectField label="Right" value={right} options={options} onChange={setRight} />
      </div>
      {pair.data && (
        <div className="diff">
          {pair.data.map((v, side) => {
            const mine = show(v);
            const other = show(pair.data![1 - side]);
            return (
              <div key={side}>
                <h3>
                  v{v.version} · {when(v.createdAt)} · {v.createdBy ?? 'unknown'}
                </h3>
                <pre>
                  {mine.map((line, i) => (
                    <span key={i} className={other[i] === line ? undefined : 'changed'}>
                      {line}
                      {'\n'}
                    </span>
                  ))}
                </pre>
              </div>
            );
          })}
        </div>
      )}
    </section>
  );
}
