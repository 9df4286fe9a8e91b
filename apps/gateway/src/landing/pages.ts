import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { LIMITS } from '@fg/contracts';
import type { Branding, SurveyEntity, SurveyQuestion } from '@fg/persistence';
import type { Messages } from './i18n';
import { Answers, labelOf } from './landing.service';

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

/** What a page is rendered for: the respondent's language, the catalogs, and the distribution's look. */
export interface PageContext {
  lang: string;
  m: Messages;
  branding?: Branding | null;
}

/** Black or white text on the brand colour, whichever contrasts more (always at least 4.5:1). */
export function textOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

/** A problem with an answer, in the catalog's words: `error.range` with { question, min, max }. */
export interface AnswerProblem {
  key: string;
  params: Record<string, string | number>;
  questionId?: string;
}

/** views/ beside this file (copied beside the compiled one by `npm run build`), compiled once. */
const VIEWS = join(__dirname, 'views');
const hb = Handlebars.create();
let compiled: {
  layout: HandlebarsTemplateDelegate;
  state: HandlebarsTemplateDelegate;
  survey: HandlebarsTemplateDelegate;
  css: string;
} | null = null;
function views() {
  compiled ??= {
    layout: hb.compile(readFileSync(join(VIEWS, 'layout.hbs'), 'utf8'), { strict: false }),
    state: hb.compile(readFileSync(join(VIEWS, 'state.hbs'), 'utf8'), { strict: false }),
    survey: hb.compile(readFileSync(join(VIEWS, 'survey.hbs'), 'utf8'), { strict: false }),
    css: readFileSync(join(VIEWS, 'page.css'), 'utf8').replace(/\s*\n\s*/g, ' '),
  };
  return compiled;
}

function layout(ctx: PageContext, title: string, body: string, beacon = false): string {
  const v = views();
  const b = ctx.branding;
  // The colour is validated (#rrggbb) when saved; checked again here, as it goes into CSS.
  const brand =
    b?.accentColor && /^#[0-9a-fA-F]{6}$/.test(b.accentColor)
      ? { bg: b.accentColor, fg: textOn(b.accentColor) }
      : null;
  return v.layout({
    lang: ctx.lang,
    dir: ctx.m.dir(ctx.lang),
    title,
    css: v.css,
    beacon,
    body,
    brand,
    logoUrl: b?.logoUrl?.startsWith('https://') ? b.logoUrl : null,
    senderName: b?.senderName ?? '',
  });
}

/** A state page (not open yet, expired, already answered, closed, unknown, thank you, unsubscribe). */
export function renderStatePage(
  ctx: PageContext,
  titleKey: string,
  textKey: string,
  params: Record<string, string | number> = {},
  buttonKey?: string,
): string {
  const t = (k: string) => ctx.m.t(ctx.lang, k, params);
  return layout(
    ctx,
    t(titleKey),
    views().state({ title: t(titleKey), text: t(textKey), button: buttonKey ? t(buttonKey) : null }),
  );
}

/** The footer link's page: says what will happen, and a button does it (a GET alone changes nothing). */
export function renderUnsubscribePage(ctx: PageContext, maskedAddress: string): string {
  return renderStatePage(
    ctx,
    'unsubscribe.title',
    'unsubscribe.question',
    { address: maskedAddress },
    'unsubscribe.button',
  );
}

function questionView(
  ctx: PageContext,
  q: SurveyQuestion,
  value: string | number | undefined,
  error: string | undefined,
) {
  const t = (k: string, p?: Record<string, string | number>) => ctx.m.t(ctx.lang, k, p);
  const name = `q.${q.id}`;
  const base = {
    id: q.id,
    name,
    label: labelOf(q, ctx.lang),
    required: !!q.required,
    requiredLabel: t('survey.required'),
    error,
    describedBy:
      [error ? `e-${q.id}` : '', q.type === 'nps' || q.type === 'rating' ? `a-${q.id}` : '']
        .filter(Boolean)
        .join(' ') || undefined,
  };
  if (q.type === 'nps' || q.type === 'rating') {
    const [lo, hi] = q.type === 'nps' ? [0, 10] : [1, 5];
    return {
      ...base,
      scale: Array.from({ length: hi - lo + 1 }, (_, i) => ({
        value: lo + i,
        checked: value !== undefined && String(value) === String(lo + i),
      })),
      low: t(q.type === 'nps' ? 'nps.low' : 'rating.low'),
      high: t(q.type === 'nps' ? 'nps.high' : 'rating.high'),
    };
  }
  if (q.type === 'single_choice')
    return {
      ...base,
      choices: (q.options ?? []).map((o) => ({
        value: o.value,
        label: labelOf(o, ctx.lang),
        checked: value !== undefined && String(value) === o.value,
      })),
    };
  return {
    ...base,
    text: true,
    value: value === undefined ? '' : String(value),
    maxLength: LIMITS.freeTextChars,
  };
}

/**
 * The hosted survey. Standard: every question on one page, "Save progress" and "Submit", with how many are
 * answered. Conversational: one question at a time (`at`, else the first not answered yet), "Back", "Skip" on
 * optional questions only, "Next" (which saves) until the last, then "Submit".
 */
export function renderSurveyPage(
  ctx: PageContext,
  survey: SurveyEntity,
  format: 'standard' | 'conversational',
  answers: Answers,
  o: { problems?: AnswerProblem[]; saved?: boolean; at?: number } = {},
): string {
  const t = (k: string, p?: Record<string, string | number>) => ctx.m.t(ctx.lang, k, p);
  const problems = (o.problems ?? []).map((p) => ({ text: t(p.key, p.params), questionId: p.questionId }));
  const errorOf = (id: string) => problems.find((p) => p.questionId === id)?.text;
  const qs = survey.questions;
  const common = {
    title: survey.name,
    saved: o.saved ? t('survey.saved') : null,
    problems,
    problemsTitle: t('error.title'),
  };
  if (format === 'conversational' && qs.length) {
    const first = qs.findIndex((q) => answers[q.id] === undefined);
    const at = Math.min(Math.max(o.at ?? (first === -1 ? qs.length - 1 : first), 0), qs.length - 1);
    const q = qs[at];
    const last = at === qs.length - 1;
    const body = views().survey({
      ...common,
      asked: qs
        .slice(0, at)
        .filter((p) => answers[p.id] !== undefined)
        .map((p) => ({ label: labelOf(p, ctx.lang), answer: String(answers[p.id]) })),
      progress: {
        label: t('survey.progress', { current: at + 1, total: qs.length }),
        value: at + 1,
        total: qs.length,
      },
      questions: [questionView(ctx, q, answers[q.id], errorOf(q.id))],
      position: String(at),
      buttons: [
        ...(at > 0 ? [{ value: 'back', label: t('survey.back'), kind: '', skipValidation: true }] : []),
        ...(!q.required && !last
          ? [{ value: 'skip', label: t('survey.skip'), kind: '', skipValidation: true }]
          : []),
        last
          ? { value: 'submit', label: t('survey.submit'), kind: 'primary' }
          : { value: 'save', label: t('survey.next'), kind: 'primary' },
      ],
    });
    return layout(ctx, survey.name, body, true);
  }
  const answered = qs.filter((q) => answers[q.id] !== undefined).length;
  const body = views().survey({
    ...common,
    progress:
      qs.length > 1
        ? { label: t('survey.answered', { answered, total: qs.length }), value: answered, total: qs.length }
        : null,
    requiredNote: qs.some((q) => q.required) ? t('survey.requiredNote') : null,
    questions: qs.map((q) => questionView(ctx, q, answers[q.id], errorOf(q.id))),
    buttons: [
      { value: 'save', label: t('survey.save'), kind: '' },
      { value: 'submit', label: t('survey.submit'), kind: 'primary' },
    ],
  });
  return layout(ctx, survey.name, body, true);
}
