import { createContext, useContext, useState, type FormEvent } from 'react';
import { NavLink, Navigate, Route, Routes, useNavigate } from 'react-router-dom';
import { asProblem, call, ops, session, useLoad, type ApiProblem, type Schemas } from './api';
import { Loading, Problem, TextField } from './ui';
import { Distributions } from './pages/Distributions';
import { DistributionView } from './pages/Distribution';
import { NewDistribution } from './pages/NewDistribution';
import { Rules } from './pages/Rules';
import { RuleEditor } from './pages/RuleEditor';
import { Activity, InviteTimeline } from './pages/Activity';
import { DeadLetters } from './pages/DeadLetters';
import { Suppressions } from './pages/Suppressions';
import { ApiKeys } from './pages/ApiKeys';

export type Me = Schemas['Me'];
const MeContext = createContext<Me | null>(null);

/** The signed-in key: what it may do decides what the console shows. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside the signed-in console');
  return me;
}
export const can = (me: Me, permission: Me['permissions'][number]) => me.permissions.includes(permission);

export function App() {
  const [key, setKey] = useState(session.key());
  if (!key) return <SignIn onSignedIn={setKey} />;
  return (
    <SignedIn
      apiKey={key}
      onSignOut={() => {
        session.signOut();
        setKey(null);
      }}
    />
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await call(ops(key.trim()).GET('/ops/me'));
      session.signIn(key.trim());
      onSignedIn(key.trim());
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">feedback-gateway</h1>
        <p>Sign in with an API key. `npm start` prints a demo key; `npm run keys -- create` makes one.</p>
        <TextField
          label="API key"
          type="password"
          value={key}
          onChange={setKey}
          placeholder="fgk_…"
          required
          error={problem ? problem.message : undefined}
        />
        <button type="submit" className="primary" disabled={busy || !key.trim()}>
          Sign in
        </button>
        <p className="muted small">The key stays in this browser tab only and is sent to this server only.</p>
      </form>
    </main>
  );
}

function SignedIn({ apiKey, onSignOut }: { apiKey: string; onSignOut: () => void }) {
  const me = useLoad(() => call(ops(apiKey).GET('/ops/me')), [apiKey]);
  const navigate = useNavigate();
  if (me.error?.status === 401) {
    onSignOut();
    return null;
  }
  if (!me.data)
    return (
      <main className="signin">
        {me.error ? <Problem problem={me.error} /> : <Loading what="your key" />}
      </main>
    );
  const m = me.data;
  const links: [string, string, boolean][] = [
    ['/distributions', 'Distributions', can(m, 'distribution:view')],
    ['/rules', 'Rules', can(m, 'rules:configure')],
    ['/activity', 'Activity', can(m, 'distribution:view')],
    ['/dead-letters', 'Dead letters', can(m, 'dead-letters:manage') && !m.surveyIds],
    ['/suppressions', 'Suppressions', can(m, 'distribution:view') && !m.surveyIds],
    ['/api-keys', 'API keys', can(m, 'api-keys:manage') && !m.surveyIds],
  ];
  return (
    <MeContext.Provider value={m}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <header className="top">
          <span className="brand">feedback-gateway</span>
          <nav aria-label="Main">
            <ul>
              {links
                .filter(([, , shown]) => shown)
                .map(([to, label]) => (
                  <li key={to}>
                    <NavLink to={to}>{label}</NavLink>
                  </li>
                ))}
            </ul>
          </nav>
          <div className="who">
            <span title={m.permissions.join(', ')}>{m.name}</span>
            <button
              type="button"
              onClick={() => {
                onSignOut();
                void navigate('/');
              }}
            >
              Sign out
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          <Routes>
            <Route
              path="/"
              element={<Navigate to={links.find((l) => l[2])?.[0] ?? '/distributions'} replace />}
            />
            <Route path="/distributions" element={<Distributions />} />
            <Route path="/distributions/new" element={<NewDistribution />} />
            <Route path="/distributions/:id/*" element={<DistributionView />} />
            <Route path="/rules" element={<Rules />} />
            <Route path="/rules/new" element={<RuleEditor />} />
            <Route path="/rules/:id" element={<RuleEditor />} />
            <Route path="/activity" element={<Activity />} />
            <Route path="/activity/invites/:id" element={<InviteTimeline />} />
            <Route path="/dead-letters" element={<DeadLetters />} />
            <Route path="/suppressions" element={<Suppressions />} />
            <Route path="/api-keys" element={<ApiKeys />} />
            <Route path="*" element={<p>Nothing here. Pick a section above.</p>} />
          </Routes>
        </main>
      </div>
    </MeContext.Provider>
  );
}
