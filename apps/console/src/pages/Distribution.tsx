import { useState } from 'react';
import { NavLink, Route, Routes, useNavigate, useParams } from 'react-router-dom';
import { asProblem, call, ops, useLoad, type ApiProblem } from '../api';
import { can, useMe } from '../App';
import { Badge, Loading, Page, Problem, TextField } from '../ui';
import { DistributionForm } from './DistributionForm';
import { Funnel } from './Funnel';
import { Results } from './Results';
import { Templates } from './Templates';

export function DistributionView() {
  const { id = '' } = useParams();
  const me = useMe();
  const d = useLoad(async () => {
    const dist = await call(ops().GET('/ops/distributions/{id}', { params: { path: { id } } }));
    const survey = await call(ops().GET('/ops/surveys/{id}', { params: { path: { id: dist.surveyId } } }));
    return { dist, survey };
  }, [id]);
  if (d.error) return <Problem problem={d.error} />;
  if (!d.data) return <Loading what="the distribution" />;
  const { dist, survey } = d.data;
  const tabs: [string, string][] = [
    ['', 'Funnel'],
    ['results', 'Responses'],
    ['templates', 'Templates'],
    ['settings', can(me, 'distribution:edit') ? 'Settings' : 'Settings (read only)'],
  ];
  return (
    <Page
      title={dist.name}
      back="/distributions"
      actions={<Badge value={survey.status === 'closed' ? 'closed' : dist.status} />}
    >
      <p className="muted">
        Survey “{survey.name}” · {dist.activation}
      </p>
      <nav className="tabs" aria-label="Distribution">
        {tabs.map(([to, label]) => (
          <NavLink key={to} to={`/distributions/${id}${to ? `/${to}` : ''}`} end>
            {label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Funnel distributionId={id} />} />
        <Route path="results" element={<Results survey={survey} distributionId={id} tags={dist.tags} />} />
        <Route path="templates" element={<Templates distribution={dist} />} />
        <Route path="settings" element={<Settings id={id} dist={dist} onSaved={d.reload} />} />
      </Routes>
    </Page>
  );
}

function Settings(props: {
  id: string;
  dist: Parameters<typeof DistributionForm>[0]['initial'] & { id: string };
  onSaved: () => void;
}) {
  const me = useMe();
  const navigate = useNavigate();
  const surveys = useLoad(() => call(ops().GET('/ops/surveys')), []);
  const [problem, setProblem] = useState<ApiProblem>();
  const [saved, setSaved] = useState(false);
  const [cloneName, setCloneName] = useState(`${props.dist.name} (copy)`);
  if (!surveys.data) return <Loading what="settings" />;
  const { surveyId, name, description, format, startsAt, expiry, submissionLimit, tags, defaultLanguage } =
    props.dist;
  const initial = {
    surveyId,
    name,
    description,
    format,
    startsAt,
    expiry,
    submissionLimit,
    tags,
    defaultLanguage,
    hosting: props.dist.hosting,
    sendWindow: props.dist.sendWindow,
    branding: props.dist.branding,
  };
  const editable = can(me, 'distribution:edit');
  return (
    <>
      <Problem problem={problem} />
      {saved && (
        <p className="ok" role="status">
          Saved.
        </p>
      )}
      <fieldset disabled={!editable} className="plain">
        <DistributionForm
          initial={initial}
          surveys={surveys.data}
          submitLabel="Save settings"
          problem={problem}
          onSubmit={async (body) => {
            setSaved(false);
            try {
              await call(ops().PUT('/ops/distributions/{id}', { params: { path: { id: props.id } }, body }));
              setProblem(undefined);
              setSaved(true);
              props.onSaved();
            } catch (e) {
              setProblem(asProblem(e));
            }
          }}
        />
      </fieldset>
      {editable && (
        <form
          className="form card"
          aria-label="Clone"
          onSubmit={(e) => {
            e.preventDefault();
            call(
              ops().POST('/ops/distributions/{id}/clone', {
                params: { path: { id: props.id } },
                body: { name: cloneName },
              }),
            ).then(
              (copy) => void navigate(`/distributions/${copy.id}/settings`),
              (err: unknown) => setProblem(asProblem(err)),
            );
          }}
        >
          <h2>Clone</h2>
          <p className="muted">A copy with the same settings, templates and sender accounts, as a draft.</p>
          <TextField label="Name of the copy" value={cloneName} onChange={setCloneName} />
          <button type="submit">Clone distribution</button>
        </form>
      )}
    </>
  );
}
