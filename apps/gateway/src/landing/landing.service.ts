import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { isIPv6 } from 'node:net';
import { APP_CONFIG, AppConfig, Clock, sha256 } from '@fg/common';
import { LIMITS, own } from '@fg/contracts';
import type { ResponseStatus } from '@fg/contracts';
import {
  Answers,
  Branding,
  DistributionEntity,
  DistributionRepository,
  LinkGuessRepository,
  ResponseRepository,
  SurveyEntity,
  SurveyLinkEntity,
  SurveyLinkRepository,
  SurveyQuestion,
  SurveyRepository,
} from '@fg/persistence';
import { ExternalRefs, LinkTokens } from '@fg/links';
import { UnitOfWork } from '@fg/messaging';
import { ResponseService, usedUp } from '@fg/responses';
import type { AnswerProblem } from './pages';

export type { Answers };

export type LandingOutcome =
  | {
      state: 'open';
      link: SurveyLinkEntity;
      survey: SurveyEntity;
      distribution: DistributionEntity;
      answers: Answers;
      redirect?: string;
    }
  | {
      state: 'unknown' | 'not_open_yet' | 'expired' | 'closed' | 'used_up' | 'too_many';
      at?: Date;
      /** The languages to answer in, most wanted first (the link's, the distribution's), when the link is known. */
      languages?: string[];
      /** The distribution's look, when known: every state page looks like its survey. */
      branding?: Branding | null;
    };

/** How long a client's unknown-link misses count, and how many clients' counters are kept at most. */
const GUESS_WINDOW_MS = 60_000;
const GUESS_CLIENTS_KEPT = 100_000;

/**
 * The public side of a link: resolves it to a state (the same answer, from the same single lookup, for unknown
 * and revoked links), records Survey Opened, keeps the hosted survey's progress and counts submissions against
 * the distribution's limit atomically. Guessing is limited per client (address, or IPv6 /64) with counters in
 * Postgres, so the limit holds across gateway instances; a valid link is never refused.
 */
@Injectable()
export class LandingService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Landing');
  private readonly refs: ExternalRefs;
  private pruner?: NodeJS.Timeout;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly clock: Clock,
    private readonly responses: ResponseService,
    private readonly links: SurveyLinkRepository,
    private readonly distributions: DistributionRepository,
    private readonly surveys: SurveyRepository,
    private readonly responseRows: ResponseRepository,
    private readonly guesses: LinkGuessRepository,
  ) {
    this.refs = new ExternalRefs(cfg.LINK_SIGNING_SECRET);
  }

  onModuleInit() {
    this.pruner = setInterval(() => {
      this.guesses
        .prune(this.clock.now(), GUESS_WINDOW_MS, GUESS_CLIENTS_KEPT)
        .catch((e: unknown) => this.log.warn(`pruning guess counters failed: ${(e as Error).message}`));
    }, GUESS_WINDOW_MS);
    this.pruner.unref();
  }

  onModuleDestroy() {
    clearInterval(this.pruner);
  }

  /**
   * Resolves a token for a GET (or HEAD): records nothing — a mail scanner or link-preview bot fetches links too.
   * The page's beacon (`opened`) or the first save or submit records Survey Opened; a survey hosted elsewhere
   * reports it itself (its tool sees the person).
   */
  async open(token: string, client: string): Promise<LandingOutcome> {
    const outcome = await this.resolve(token, client);
    if (outcome.state !== 'open') return outcome;
    const { link, distribution } = outcome;
    if (distribution.hosting.mode === 'external')
      return { ...outcome, redirect: this.externalUrl(distribution.hosting.url, link.id) };
    return outcome;
  }

  /** A person is looking at the page (its beacon): the first time, Survey Opened, published. */
  async opened(token: string, client: string): Promise<LandingOutcome['state']> {
    const outcome = await this.resolve(token, client);
    if (outcome.state === 'open' && outcome.link.responseStatus === 'Not Started')
      await this.advance(outcome.link, 'Survey Opened');
    return outcome.state;
  }

  /**
   * Saves answers (progress) or submits them. Progress: In Progress, or Partially Completed once every required
   * question has an answer. Submit: every required question answered, then one submission counted against the
   * limit in a single conditional UPDATE, so two tabs can't both get past it.
   */
  async answer(
    token: string,
    client: string,
    form: Record<string, unknown>,
    submit: boolean,
  ): Promise<
    | LandingOutcome
    | { state: 'saved' }
    | { state: 'submitted'; languages: string[]; branding: Branding | null }
    | { state: 'invalid'; problems: AnswerProblem[] }
  > {
    const outcome = await this.resolve(token, client);
    if (outcome.state !== 'open') return outcome;
    const { link, survey, distribution } = outcome;
    const { answers, problems } = parseAnswers(survey.questions, form, outcome.answers, link.language);
    if (problems.length) return { state: 'invalid', problems };
    const missing = survey.questions.filter((q) => q.required && answers[q.id] === undefined);
    if (submit && missing.length)
      return {
        state: 'invalid',
        problems: missing.map((q) => ({
          key: 'error.required',
          params: { question: labelOf(q, link.language) },
          questionId: q.id,
        })),
      };
    const now = this.clock.now();
    const status: ResponseStatus = submit
      ? 'Completed'
      : missing.length
        ? 'In Progress'
        : 'Partially Completed';
    const done = await this.uow.run((em) =>
      this.responses.answer(em, link, distribution, status, answers, now),
    );
    const languages = [link.language, distribution.defaultLanguage];
    if (done.state === 'used_up') return { state: 'used_up', languages, branding: distribution.branding };
    return submit ? { state: 'submitted', languages, branding: distribution.branding } : { state: 'saved' };
  }

  /** The link a signed reference names, if the signature is ours (reports may come after it expired). */
  verifyRef(ref: string): { linkId: string; expired: boolean } | null {
    return this.refs.verify(ref, this.clock.now());
  }

  private externalUrl(base: string, linkId: string) {
    const u = new URL(base);
    u.searchParams.set('fg_ref', this.refs.issue(linkId, this.clock.now()));
    return u.toString();
  }

  private async advance(link: SurveyLinkEntity, to: ResponseStatus) {
    const moved = await this.uow.run((em) => this.responses.report(em, link.id, to, this.clock.now()));
    if (moved.state === 'moved') {
      link.responseStatus = to;
    }
  }

  private async resolve(token: string, client: string): Promise<LandingOutcome> {
    const now = this.clock.now();
    // Unknown and revoked links take the same path: one lookup by hash, the same answer. A client past its misses
    // gets 429 for unknown links only: a valid link always opens (an office behind one address keeps working).
    const hash = sha256(LinkTokens.looksValid(token) ? token : `invalid:${token}`);
    const link = await this.links.findByTokenHash(hash);
    if (!link || link.revokedAt) {
      const misses = await this.guesses.miss(clientKey(client), now, GUESS_WINDOW_MS);
      return misses > this.cfg.LINK_GUESSES_PER_MINUTE ? { state: 'too_many' } : { state: 'unknown' };
    }
    const distribution = await this.distributions.findById(link.distributionId);
    const languages = [link.language, ...(distribution ? [distribution.defaultLanguage] : [])];
    const branding = distribution?.branding ?? null;
    if (link.startsAt && link.startsAt > now)
      return { state: 'not_open_yet', at: link.startsAt, languages, branding };
    if (link.expiresAt && link.expiresAt <= now)
      return { state: 'expired', at: link.expiresAt, languages, branding };
    const survey = distribution && (await this.surveys.findById(distribution.surveyId));
    if (!distribution || !survey || survey.status === 'closed')
      return { state: 'closed', languages, branding };
    if (usedUp(link, now)) return { state: 'used_up', languages, branding };
    const answers = (await this.responseRows.openAnswers(link.id)) ?? {};
    return { state: 'open', link, survey, distribution, answers };
  }
}

/**
 * Whom guess limiting counts: an IPv4 address, or the /64 of an IPv6 address (one subscriber's whole allocation,
 * which a guesser could otherwise rotate through). IPv4-mapped IPv6 addresses count as IPv4.
 */
export function clientKey(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.split('%')[0].toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export function labelOf(q: Pick<SurveyQuestion, 'label'>, language: string): string {
  return own(q.label, language) ?? own(q.label, language.split('-')[0]) ?? Object.values(q.label)[0] ?? '';
}

/**
 * Answers from a form (`q.<id>` fields) on top of those saved before; each checked against its question. A value
 * that is not text (a JSON body's null, object or array) is refused, whatever the question.
 */
export function parseAnswers(
  questions: SurveyQuestion[],
  form: Record<string, unknown>,
  saved: Answers,
  language = 'en',
) {
  const answers: Answers = { ...saved };
  const problems: AnswerProblem[] = [];
  for (const q of questions) {
    const raw = own(form, `q.${q.id}`);
    const problem = (key: string, params: Record<string, number> = {}) =>
      problems.push({ key, params: { question: labelOf(q, language), ...params }, questionId: q.id });
    if (raw === undefined || raw === '') continue;
    if (typeof raw !== 'string') {
      problem('error.text');
      continue;
    }
    if (q.type === 'nps' || q.type === 'rating') {
      const [lo, hi] = q.type === 'nps' ? [0, 10] : [1, 5];
      const n = Number(raw);
      if (!Number.isInteger(n) || n < lo || n > hi) problem('error.range', { min: lo, max: hi });
      else answers[q.id] = n;
    } else if (q.type === 'single_choice') {
      if (!(q.options ?? []).some((o) => o.value === raw)) problem('error.choice');
      else answers[q.id] = raw;
    } else if (raw.length > LIMITS.freeTextChars) problem('error.tooLong', { max: LIMITS.freeTextChars });
    else answers[q.id] = raw;
  }
  return { answers, problems };
}
