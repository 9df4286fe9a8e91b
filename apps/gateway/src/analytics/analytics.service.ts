import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@fg/common';
import {
  DistributionRepository,
  FUNNEL_STAGES,
  FunnelCounts,
  FunnelGrouping,
  InviteRepository,
  ResponseRepository,
  RuleRepository,
  SurveyQuestion,
  SurveyRepository,
  SurveyLinkRepository,
} from '@fg/persistence';

export interface Period {
  from: Date;
  to: Date;
}

export interface FunnelRequest extends Period {
  groupBy: FunnelGrouping;
  channel?: string;
  language?: string;
  ruleId?: string;
}

export interface ResultsRequest {
  distributionIds: string[] | null;
  from?: Date;
  to?: Date;
  channel?: string;
  language?: string;
  tags: Record<string, string>;
  texts: number;
}

const zero = (): FunnelCounts => Object.fromEntries(FUNNEL_STAGES.map((s) => [s, 0])) as FunnelCounts;

/** Each stage's share of the stage before it (issued: 1), rounded to 4 places; null when the one before is 0. */
export function conversion(c: FunnelCounts): Record<string, number | null> {
  return Object.fromEntries(
    FUNNEL_STAGES.map((s, i) => {
      const before = i === 0 ? c.issued : c[FUNNEL_STAGES[i - 1]];
      return [s, before ? Math.round((c[s] / before) * 10_000) / 10_000 : null];
    }),
  );
}

/** Net Promoter Score from 0–10 answers: promoters 9–10, passives 7–8, detractors 0–6; score −100…100. */
export function nps(counts: Map<number, number>) {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const [v, n] of counts)
    if (v >= 9) promoters += n;
    else if (v >= 7) passives += n;
    else detractors += n;
  const total = promoters + passives + detractors;
  return {
    promoters,
    passives,
    detractors,
    score: total ? Math.round(((promoters - detractors) / total) * 1000) / 10 : null,
  };
}

/** One question's results: counts for scales and choices, NPS for nps questions, the latest texts for free text. */
export interface QuestionResult {
  id: string;
  type: SurveyQuestion['type'];
  label: string;
  answered: number | null;
  average?: number | null;
  distribution?: { value: string; label: string; count: number }[];
  nps?: ReturnType<typeof nps>;
  texts?: { text: string; responseId: string; submittedAt: Date }[];
}

const labelIn = (label: Record<string, string>, language = 'en') =>
  label[language] ?? label.en ?? Object.values(label)[0] ?? '';

/** The funnel and the response analytics the console and the REST API report. */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly distributions: DistributionRepository,
    private readonly surveys: SurveyRepository,
    private readonly links: SurveyLinkRepository,
    private readonly invites: InviteRepository,
    private readonly responses: ResponseRepository,
    private readonly rules: RuleRepository,
  ) {}

  async funnel(distributionId: string, q: FunnelRequest) {
    if (!(await this.distributions.findById(distributionId)))
      throw new DomainError(ErrorCode.NOT_FOUND, `distribution ${distributionId} does not exist`);
    if (q.from >= q.to)
      throw new DomainError(ErrorCode.VALIDATION, 'from: must be before to', {
        fields: [{ field: 'from', message: 'must be before to' }],
      });
    const [rows, failures] = await Promise.all([
      this.links.funnel({ distributionId, ...q }),
      this.invites.failures({ distributionId, from: q.from, to: q.to, channel: q.channel }),
    ]);
    const labels =
      q.groupBy === 'rule'
        ? new Map(
            (await this.rules.byIds(rows.map((r) => r.key).filter((k) => /^[0-9a-f-]{36}$/.test(k)))).map(
              (r) => [r.id, r.name],
            ),
          )
        : new Map<string, string>();
    const total = zero();
    const groups = rows.map(({ key, ...counts }) => {
      for (const s of FUNNEL_STAGES) total[s] += counts[s];
      return {
        key,
        label: labels.get(key) ?? key,
        counts,
        conversion: conversion(counts),
      };
    });
    return {
      distributionId,
      from: q.from,
      to: q.to,
      groupBy: q.groupBy,
      stages: [...FUNNEL_STAGES],
      total: { counts: total, conversion: conversion(total) },
      groups,
      failures,
    };
  }

  async results(surveyId: string, q: ResultsRequest) {
    const survey = await this.surveys.findById(surveyId);
    if (!survey) throw new DomainError(ErrorCode.NOT_FOUND, `survey ${surveyId} does not exist`);
    const ofSurvey = (await this.distributions.list([surveyId])).map((d) => d.id);
    const distributionIds = q.distributionIds
      ? ofSurvey.filter((id) => q.distributionIds!.includes(id))
      : ofSurvey;
    const filter = { ...q, distributionIds };
    const freeText = survey.questions.filter((x) => x.type === 'free_text').map((x) => x.id);
    const [{ total, counts }, texts] = await Promise.all([
      this.responses.answerCounts(filter, freeText),
      this.responses.latestTexts(filter, freeText, q.texts),
    ]);
    const byQuestion = new Map<string, Map<string, number>>();
    for (const c of counts) {
      const m = byQuestion.get(c.question) ?? new Map<string, number>();
      m.set(c.value, c.count);
      byQuestion.set(c.question, m);
    }
    return {
      surveyId,
      distributionIds,
      responses: total,
      questions: survey.questions.map((question) => this.question(question, byQuestion, texts)),
    };
  }

  private question(
    q: SurveyQuestion,
    byQuestion: Map<string, Map<string, number>>,
    texts: { question: string; text: string; responseId: string; submittedAt: Date }[],
  ): QuestionResult {
    const given = byQuestion.get(q.id) ?? new Map<string, number>();
    const base = { id: q.id, type: q.type, label: labelIn(q.label) };
    if (q.type === 'free_text') {
      const mine = texts.filter((t) => t.question === q.id);
      return {
        ...base,
        answered: null,
        texts: mine.map(({ text, responseId, submittedAt }) => ({ text, responseId, submittedAt })),
      };
    }
    if (q.type === 'single_choice') {
      const options = q.options ?? [];
      const known = new Set(options.map((o) => o.value));
      const distribution = [
        ...options.map((o) => ({ value: o.value, label: labelIn(o.label), count: given.get(o.value) ?? 0 })),
        ...[...given]
          .filter(([v]) => !known.has(v))
          .map(([value, count]) => ({ value, label: value, count })),
      ];
      return { ...base, answered: distribution.reduce((a, d) => a + d.count, 0), distribution };
    }
    const [lo, hi] = q.type === 'nps' ? [0, 10] : [1, 5];
    const numeric = new Map<number, number>();
    for (const [v, n] of given) {
      const x = Number(v);
      if (Number.isInteger(x) && x >= lo && x <= hi) numeric.set(x, (numeric.get(x) ?? 0) + n);
    }
    const answered = [...numeric.values()].reduce((a, n) => a + n, 0);
    const sum = [...numeric].reduce((a, [v, n]) => a + v * n, 0);
    const distribution = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).map((v) => ({
      value: String(v),
      label: String(v),
      count: numeric.get(v) ?? 0,
    }));
    return {
      ...base,
      answered,
      average: answered ? Math.round((sum / answered) * 100) / 100 : null,
      distribution,
      ...(q.type === 'nps' ? { nps: nps(numeric) } : {}),
    };
  }
}
