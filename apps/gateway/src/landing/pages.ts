import type { SurveyEntity, SurveyQuestion } from '@fg/persistence';
import { Answers, labelOf } from './landing.service';

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Records "Survey Opened" when a person is looking (decision 0026): the page's only script posts the open once the
 * page has been visible for 1.5 s or on the first interaction. A mail scanner or link-preview bot that only
 * fetches the page (GET or HEAD) records nothing. Without JavaScript, the first save or submit counts as the open.
 */
export const OPEN_BEACON = `(function () {
  var sent = false;
  function send() {
    if (sent) return;
    sent = true;
    var url = location.pathname.replace(/\\/+$/, '') + '/opened';
    if (navigator.sendBeacon && navigator.sendBeacon(url)) return;
    fetch(url, { method: 'POST', keepalive: true, credentials: 'omit' });
  }
  ['pointerdown', 'keydown', 'touchstart', 'focusin'].forEach(function (e) {
    addEventListener(e, send, { once: true, passive: true });
  });
  function whenVisible() {
    if (document.visibilityState !== 'visible') return;
    setTimeout(function () { if (document.visibilityState === 'visible') send(); }, 1500);
  }
  whenVisible();
  document.addEventListener('visibilitychange', whenVisible);
})();
`;

function layout(title: string, body: string, lang = 'en', script = false): string {
  return `<!doctype html><html lang="${esc(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
fieldset{border:1px solid #ddd;border-radius:.5rem;margin:1rem 0;padding:1rem}legend{font-weight:600}
.scale label{display:inline-block;margin:.2rem .4rem}.problems{color:#a40000}.progress{color:#555}
button{font:inherit;padding:.5rem 1rem;margin-right:.5rem}</style>
${script ? '<script src="/p/opened.js" defer></script>' : ''}</head><body>${body}</body></html>`;
}

/** The footer link's page: says what will happen, and a button does it (a GET alone changes nothing). */
export function renderUnsubscribePage(maskedAddress: string): string {
  return layout(
    'Unsubscribe',
    `<main><h1>Unsubscribe</h1><p>Stop survey messages to ${esc(maskedAddress)}?</p>
<form method="post"><button name="confirm" value="yes">Unsubscribe</button></form></main>`,
  );
}

export function renderClosedPage(title: string, detail: string): string {
  return layout(title, `<main><h1>${esc(title)}</h1><p>${esc(detail)}</p></main>`);
}

function input(q: SurveyQuestion, language: string, value: string | number | undefined): string {
  const name = `q.${q.id}`;
  const checked = (v: string | number) =>
    value !== undefined && String(value) === String(v) ? ' checked' : '';
  if (q.type === 'nps' || q.type === 'rating') {
    const [lo, hi] = q.type === 'nps' ? [0, 10] : [1, 5];
    return `<div class="scale">${Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
      .map((n) => `<label><input type="radio" name="${esc(name)}" value="${n}"${checked(n)}> ${n}</label>`)
      .join('')}</div>`;
  }
  if (q.type === 'single_choice')
    return (q.options ?? [])
      .map(
        (o) =>
          `<label><input type="radio" name="${esc(name)}" value="${esc(o.value)}"${checked(o.value)}> ${esc(labelOf(o, language))}</label>`,
      )
      .join('<br>');
  return `<textarea name="${esc(name)}" rows="4" cols="50" maxlength="5000">${esc(value === undefined ? '' : String(value))}</textarea>`;
}

function fieldset(q: SurveyQuestion, language: string, value: string | number | undefined) {
  return `<fieldset data-question="${esc(q.id)}"><legend>${esc(labelOf(q, language))}${q.required ? ' *' : ''}</legend>${input(q, language, value)}</fieldset>`;
}

/**
 * The hosted survey. Standard: every question on one page, with "Save progress" and "Submit". Conversational:
 * one question at a time (the first one not answered yet), chat-style, "Next" until the last, then "Submit".
 */
export function renderSurveyPage(
  survey: SurveyEntity,
  format: 'standard' | 'conversational',
  language: string,
  answers: Answers,
  problems: string[] = [],
): string {
  const errors = problems.length
    ? `<ul class="problems" role="alert">${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`
    : '';
  if (format === 'conversational') {
    const qs = survey.questions;
    const i = qs.findIndex((q) => answers[q.id] === undefined);
    const at = i === -1 ? qs.length - 1 : i;
    const q = qs[at];
    const done = qs
      .slice(0, at)
      .map(
        (p) =>
          `<p class="asked"><b>${esc(labelOf(p, language))}</b><br>${esc(String(answers[p.id] ?? '—'))}</p>`,
      )
      .join('');
    const last = at === qs.length - 1;
    return layout(
      survey.name,
      `<main><h1>${esc(survey.name)}</h1>${done}${errors}<p class="progress">Question ${at + 1} of ${qs.length}</p>
<form method="post">${q ? fieldset(q, language, answers[q.id]) : ''}
${last ? '<button name="action" value="submit">Submit</button>' : '<button name="action" value="save">Next</button>'}
${last ? '' : '<button name="action" value="skip" formnovalidate>Skip</button>'}</form></main>`,
      language,
      true,
    );
  }
  return layout(
    survey.name,
    `<main><h1>${esc(survey.name)}</h1>${errors}<form method="post">${survey.questions
      .map((q) => fieldset(q, language, answers[q.id]))
      .join('')}
<button name="action" value="save">Save progress</button><button name="action" value="submit">Submit</button></form></main>`,
    language,
    true,
  );
}
