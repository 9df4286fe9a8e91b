import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { asProblem, call, fieldErrors, ops, useLoad, type ApiProblem, type Schemas } from '../api';
import { can, useMe } from '../App';
import { Loading, Page, Problem, SelectField, TextField } from '../ui';
import { DistributionForm } from './DistributionForm';

type Question = Schemas['SurveyInput']['questions'] extends (infer Q)[] | undefined ? Q : never;

/** A new distribution; a survey can be made on the way (questions: NPS, rating, choice, free text). */
export function NewDistribution() {
  const me = useMe();
  const navigate = useNavigate();
  const surveys = useLoad(() => call(ops().GET('/ops/surveys')), []);
  const [problem, setProblem] = useState<ApiProblem>();
  if (!surveys.data) return <Loading what="surveys" />;
  return (
    <Page title="New distribution" back="/distributions">
      {!me.surveyIds && can(me, 'distribution:edit') && <NewSurvey onCreated={surveys.reload} />}
      {surveys.data.length === 0 ? (
        <p>Create a survey first.</p>
      ) : (
        <>
          <Problem problem={problem} />
          <DistributionForm
            initial={{ surveyId: surveys.data[0].id, name: '', expiry: { mode: 'none' }, tags: {} }}
            surveys={surveys.data}
            submitLabel="Create distribution"
            problem={problem}
            onSubmit={async (d) => {
              try {
                const created = await call(ops().POST('/ops/distributions', { body: d }));
                void navigate(`/distributions/${created.id}/settings`);
              } catch (e) {
                setProblem(asProblem(e));
              }
            }}
          />
        </>
      )}
    </Page>
  );
}

function NewSurvey({ onCreated }: { onCreated: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [questions, setQuestions] = useState<Question[]>([
    {
      id: 'nps',
      type: 'nps',
      label: { en: 'How likely are you to recommend us to a friend?' },
      required: true,
    },
  ]);
  const [problem, setProblem] = useState<ApiProblem>();
  const errors = fieldErrors(problem);
  if (!open)
    return (
      <p>
        <button type="button" onClick={() => setOpen(true)}>
          New survey…
        </button>
      </p>
    );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await call(ops().POST('/ops/surveys', { body: { name, questions } }));
      setOpen(false);
      onCreated();
    } catch (err) {
      setProblem(asProblem(err));
    }
  };
  const update = (i: number, q: Question) => setQuestions((qs) => qs.map((x, j) => (j === i ? q : x)));
  return (
    <form className="form card" onSubmit={(e) => void submit(e)} noValidate aria-label="New survey">
      <Problem problem={problem} />
      <TextField label="Survey name" value={name} onChange={setName} error={errors.get('name')} />
      {questions.map((q, i) => (
        <fieldset key={i}>
          <legend>Question {i + 1}</legend>
          <div className="row">
            <TextField
              label="Id"
              value={q.id}
              onChange={(id) => update(i, { ...q, id })}
              error={errors.get(`questions.${i}.id`)}
            />
            <SelectField
              label="Type"
              value={q.type}
              options={['nps', 'rating', 'single_choice', 'free_text'] as const}
              onChange={(type) =>
                update(
                  i,
                  type === 'single_choice'
                    ? {
                        id: q.id,
                        label: q.label,
                        type,
                        options: [
                          { value: 'yes', label: { en: 'Yes' } },
                          { value: 'no', label: { en: 'No' } },
                        ],
                      }
                    : { id: q.id, label: q.label, type },
                )
              }
            />
          </div>
          <TextField
            label="Label (English)"
            value={q.label.en ?? ''}
            onChange={(en) => update(i, { ...q, label: { ...q.label, en } })}
            error={errors.get(`questions.${i}.label.en`) ?? errors.get(`questions.${i}.label`)}
          />
          {q.type === 'single_choice' && (
            <TextField
              label="Choices (comma-separated)"
              value={q.options.map((o) => o.value).join(', ')}
              onChange={(v) =>
                update(i, {
                  ...q,
                  options: v
                    .split(',')
                    .map((x) => x.trim())
                    .filter(Boolean)
                    .map((value) => ({ value, label: { en: value } })),
                })
              }
              error={errors.get(`questions.${i}.options`)}
            />
          )}
          <button type="button" onClick={() => setQuestions((qs) => qs.filter((_, j) => j !== i))}>
            Remove question
          </button>
        </fieldset>
      ))}
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            setQuestions((qs) => [...qs, { id: `q${qs.length + 1}`, type: 'free_text', label: { en: '' } }])
          }
        >
          Add question
        </button>
        <button type="submit" className="primary">
          Create survey
        </button>
      </div>
    </form>
  );
}
