import type { SurveyEntity } from '@fg/persistence';

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
fieldset{border:1px solid #ddd;border-radius:.5rem;margin:1rem 0;padding:1rem}legend{font-weight:600}</style>
</head><body>${body}</body></html>`;
}

export function renderClosedPage(title: string, detail: string): string {
  return layout(title, `<main><h1>${esc(title)}</h1><p>${esc(detail)}</p></main>`);
}

export function renderSurveyPage(survey: SurveyEntity, language: string): string {
  const label = (l: Record<string, string>) =>
    l[language] ?? l[language.split('-')[0]] ?? Object.values(l)[0] ?? '';
  const questions = survey.questions
    .map((q) => {
      let input = '';
      if (q.type === 'nps' || q.type === 'rating') {
        const [lo, hi] = q.type === 'nps' ? [0, 10] : [1, 5];
        input = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
          .map((n) => `<label><input type="radio" name="${esc(q.id)}" value="${n}"> ${n}</label>`)
          .join(' ');
      } else if (q.type === 'single_choice') {
        input = (q.options ?? [])
          .map(
            (o) =>
              `<label><input type="radio" name="${esc(q.id)}" value="${esc(o.value)}"> ${esc(label(o.label))}</label>`,
          )
          .join('<br>');
      } else {
        input = `<textarea name="${esc(q.id)}" rows="4" cols="50"></textarea>`;
      }
      return `<fieldset data-question="${esc(q.id)}"><legend>${esc(label(q.label))}</legend>${input}</fieldset>`;
    })
    .join('');
  return layout(
    survey.name,
    `<main><h1>${esc(survey.name)}</h1><form method="post">${questions}</form></main>`,
  );
}
