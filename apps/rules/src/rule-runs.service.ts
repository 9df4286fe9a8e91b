import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { InviteStatusChanged, SurveyActionKind, SurveyActionResult } from '@fg/contracts';
import { Clock, deterministicUuid, withCorrelation } from '@fg/common';
import { OutboxService } from '@fg/messaging';
import { InviteRepository, RuleRunRepository, StoredRun } from '@fg/persistence';
import { RuleAction, SurveyRuleAction, isSurveyAction } from '@fg/rules-core';
import { CaseFieldsService } from './case-fields.service';

export type StepStatus =
  'pending' | 'requested' | 'dispatched' | 'completed' | 'skipped' | 'failed' | 'not_run';

export interface RunStep {
  index: number;
  action: RuleAction;
  actionId: string;
  status: StepStatus;
  reason: string | null;
  inviteId: string | null;
  linkId: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

/** One execution of a matched rule's actions, in the order written, from the rule version that matched. */
export type Run = StoredRun<RunStep>;

const KIND: Record<SurveyRuleAction['type'], SurveyActionKind> = {
  issue_link: 'issue_link',
  send_invitation: 'invitation',
  send_reminder: 'reminder',
  send_thank_you: 'thank_you',
};

/** An invite that reached one of these has durably happened; the run goes on. */
const SENT = new Set(['Invite Sent', 'Invite Opened']);

/**
 * Runs a rule's actions strictly in order: an action is asked for only after the previous one has durably
 * happened (its link issued, its invite accepted by the provider or finally failed). Case-field actions run
 * here; survey actions go to the link-issuer, whose results and invite statuses move the run on. A failed
 * action stops the run; the actions after it are recorded as not run.
 */
@Injectable()
export class RuleRunsService {
  private readonly log = new Logger('RuleRuns');

  constructor(
    private readonly outbox: OutboxService,
    private readonly cases: CaseFieldsService,
    private readonly clock: Clock,
    private readonly runRows: RuleRunRepository,
    private readonly invites: InviteRepository,
  ) {}

  newRun(r: {
    eventKey: string;
    ruleId: string;
    ruleVersion: number;
    caseId: string;
    correlationId: string;
    depth: number;
    actions: RuleAction[];
  }): Run {
    const id = deterministicUuid('run', r.eventKey, r.ruleId, String(r.ruleVersion), r.caseId);
    return {
      id,
      ruleId: r.ruleId,
      ruleVersion: r.ruleVersion,
      caseId: r.caseId,
      correlationId: r.correlationId,
      depth: r.depth,
      status: 'running',
      nextStep: 0,
      waitingActionId: null,
      steps: r.actions.map((action, index) => ({
        index,
        action,
        actionId: deterministicUuid(id, String(index)),
        status: 'pending',
        reason: null,
        inviteId: null,
        linkId: null,
        startedAt: null,
        endedAt: null,
      })),
    };
  }

  /** Inserts new runs (a replayed trigger finds its run already there) and starts the ones that are new. */
  async start(em: EntityManager, runs: Run[]): Promise<Run[]> {
    if (!runs.length) return [];
    const fresh = await this.runRows.insertNew(em, runs, this.clock.now());
    const started = runs.filter((r) => fresh.has(r.id));
    for (const run of started) await this.advance(em, run);
    await this.save(em, started);
    return started;
  }

  /** Results of survey actions from the link-issuer. */
  async onResults(em: EntityManager, results: SurveyActionResult[]): Promise<void> {
    const runs = await this.lockWaiting(
      em,
      results.map((r) => r.actionId),
    );
    const touched = new Set<Run>();
    for (const r of results) {
      const run = runs.get(r.actionId);
      if (!run || run.waitingActionId !== r.actionId) continue;
      const step = run.steps[run.nextStep];
      step.linkId = r.linkId ?? step.linkId;
      step.inviteId = r.inviteId ?? step.inviteId;
      if (r.outcome === 'dispatched') step.status = 'dispatched';
      else await this.finishStep(em, run, r.outcome, r.reason);
      touched.add(run);
    }
    await this.save(em, [...touched]);
  }

  /** An invite asked for by a run left Pending: the provider took it (go on) or it failed (stop). */
  async onInviteStatuses(em: EntityManager, events: InviteStatusChanged[]): Promise<void> {
    const relevant = events.filter((e) => e.actionId && e.status !== 'Pending');
    if (!relevant.length) return;
    const runs = await this.lockWaiting(
      em,
      relevant.map((e) => e.actionId!),
    );
    // A failed invite that was handed to a fallback channel is not the end: the fallback invite answers the
    // same action.
    const failed = relevant.filter((e) => !SENT.has(e.status)).map((e) => e.inviteId);
    const fellBack = await this.invites.replacedByFallbacks(em, failed);
    const touched = new Set<Run>();
    for (const e of relevant) {
      const run = runs.get(e.actionId!);
      if (!run || run.waitingActionId !== e.actionId || fellBack.has(e.inviteId)) continue;
      run.steps[run.nextStep].inviteId = e.inviteId;
      if (SENT.has(e.status)) await this.finishStep(em, run, 'completed', null);
      else await this.finishStep(em, run, 'failed', `invite ${e.status}${e.reason ? `: ${e.reason}` : ''}`);
      touched.add(run);
    }
    await this.save(em, [...touched]);
  }

  private async finishStep(
    em: EntityManager,
    run: Run,
    outcome: 'completed' | 'skipped' | 'failed',
    reason: string | null,
  ) {
    const now = this.clock.now().toISOString();
    const step = run.steps[run.nextStep];
    Object.assign(step, { status: outcome, reason, endedAt: now });
    run.waitingActionId = null;
    if (outcome === 'failed') {
      for (const s of run.steps.slice(run.nextStep + 1))
        Object.assign(s, { status: 'not_run', reason: `action ${step.index} failed` });
      run.status = 'failed';
      run.nextStep = run.steps.length;
      return;
    }
    run.nextStep++;
    await this.advance(em, run);
  }

  /** Runs local actions until the next survey action, which is asked for; the run then waits for its outcome. */
  private async advance(em: EntityManager, run: Run): Promise<void> {
    while (run.nextStep < run.steps.length) {
      const step = run.steps[run.nextStep];
      const now = this.clock.now().toISOString();
      step.startedAt = now;
      const a = step.action;
      if (isSurveyAction(a)) {
        this.requestSurveyAction(em, run, step, a);
        step.status = 'requested';
        run.waitingActionId = step.actionId;
        return;
      }
      const [ref, value] = a.type === 'set_field' ? [a.field, a.value] : ['queue', a.queue];
      const changed = await this.cases.applyFieldChange(em, {
        caseId: run.caseId,
        ref,
        value,
        depth: run.depth + 1,
        correlationId: run.correlationId,
      });
      Object.assign(step, {
        status: 'completed',
        reason: changed ? null : 'the field already had this value',
        endedAt: now,
      });
      run.nextStep++;
    }
    run.status = 'completed';
    run.waitingActionId = null;
  }

  private requestSurveyAction(em: EntityManager, run: Run, step: RunStep, a: SurveyRuleAction) {
    const send = a.type !== 'issue_link' ? a : null;
    this.outbox.add(em, {
      topic: 'surveyActions',
      key: run.caseId,
      correlationId: run.correlationId,
      data: {
        actionId: step.actionId,
        ruleId: run.ruleId,
        ruleVersion: run.ruleVersion,
        caseId: run.caseId,
        distributionId: a.distributionId,
        kind: KIND[a.type],
        ...(a.linkField ? { linkField: a.linkField } : {}),
        ...(send
          ? {
              channel: send.channel,
              ...(send.language === 'last_message'
                ? { languageFrom: 'last_message' as const }
                : send.language
                  ? { language: send.language }
                  : {}),
              ...(send.recipientField ? { recipientField: send.recipientField } : {}),
              useDistributionAccount: send.useDistributionAccount,
              ...(send.type === 'send_reminder' ? { maxReminders: send.maxReminders } : {}),
            }
          : {}),
      },
    });
  }

  private lockWaiting(em: EntityManager, actionIds: string[]): Promise<Map<string, Run>> {
    return this.runRows.lockWaiting<RunStep>(em, actionIds);
  }

  private async save(em: EntityManager, runs: Run[]) {
    if (!runs.length) return;
    await this.runRows.saveProgress(em, runs, this.clock.now());
    for (const run of runs)
      if (run.status !== 'running')
        withCorrelation(run.correlationId, () =>
          this.log.log(`rule run ${run.status}`, {
            runId: run.id,
            ruleId: run.ruleId,
            caseId: run.caseId,
            steps: run.steps.map((s) => `${s.index}:${s.action.type}=${s.status}`),
          }),
        );
  }
}
