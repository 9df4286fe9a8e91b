import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { z } from 'zod';
import { APP_CONFIG, AppConfig, Clock, DomainError, ErrorCode } from '@fg/common';
import { ExternalRefs } from '@fg/links';
import {
  DistributionRepository,
  InviteRepository,
  RuleEntity,
  RuleRepository,
  SurveyLinkRepository,
} from '@fg/persistence';
import { condition, distributionRefs, ruleAction } from '@fg/rules-core';
import type { Principal } from './api-key.service';
import { AccessRequirement, AccessTarget } from './permissions';

const ruleShape = z.object({ conditions: condition, actions: z.array(ruleAction) });

/**
 * Central authorization (after Immich's `requireAccess`): resolves each object a request touches to the
 * survey(s) it belongs to and checks the key's permission and survey scope, in one place. An object that
 * belongs to no survey (a case without links, a rule that references no distribution) is for keys that are not
 * limited to surveys. Objects that don't exist pass through: the handler answers 404 or 400 as for anyone.
 */
@Injectable()
export class AccessService {
  private readonly refs: ExternalRefs;

  constructor(
    @Inject(APP_CONFIG) cfg: AppConfig,
    private readonly clock: Clock,
    private readonly distributions: DistributionRepository,
    private readonly links: SurveyLinkRepository,
    private readonly invites: InviteRepository,
    private readonly rules: RuleRepository,
  ) {
    this.refs = new ExternalRefs(cfg.LINK_SIGNING_SECRET);
  }

  async require(p: Principal, need: AccessRequirement, req: Pick<Request, 'params' | 'body' | 'query'>) {
    if (need.permission && !p.permissions.has(need.permission))
      throw new DomainError(ErrorCode.FORBIDDEN, `the API key lacks the permission "${need.permission}"`, {
        needed: need.permission,
      });
    if (typeof need.scope !== 'string')
      for (const t of need.scope)
        if (
          t.kind === 'rule-definition' &&
          writesCaseFields(valueAt(req, t.at)) &&
          !p.permissions.has('case-fields:configure')
        )
          throw new DomainError(
            ErrorCode.FORBIDDEN,
            'the API key lacks the permission "case-fields:configure" (this rule writes case fields)',
            { needed: 'case-fields:configure' },
          );
    const scope = p.surveyIds;
    if (!scope || need.scope === 'none' || need.scope === 'filtered') return;
    if (need.scope === 'all-surveys')
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        'this API key is limited to some surveys; this endpoint concerns every survey and needs a key that is not',
      );
    for (const t of need.scope) {
      const value = valueAt(req, t.at);
      if (t.kind === 'rule-definition') {
        await this.requireDefinition(scope, value);
        continue;
      }
      if (typeof value !== 'string' || !value) continue; // missing or malformed: the route's validation answers 400
      const surveys = await this.surveysOf(t.kind, value);
      if (surveys === null) continue;
      const outside = surveys.filter((s) => !scope.includes(s));
      const field = t.at.replace(/^(params|query|body)\./, '');
      if (!surveys.length)
        throw forbidden(
          field,
          `this API key is limited to some surveys; this ${t.kind} belongs to none of them`,
        );
      if (outside.length) throw forbidden(field, `this API key may not access survey ${outside[0]}`);
    }
  }

  /** Every distribution a rule definition references must belong to the key's surveys, and there must be one. */
  private async requireDefinition(scope: string[], def: unknown) {
    const parsed = ruleShape.safeParse(def);
    if (!parsed.success) return; // the route's validation answers 400
    const refs = distributionRefs(parsed.data);
    const surveyOf = await this.distributions.surveysOf(refs.map((r) => r.distributionId));
    const problems = refs
      .filter((r) => surveyOf.has(r.distributionId) && !scope.includes(surveyOf.get(r.distributionId)!))
      .map((r) => ({
        field: `${r.path}.distributionId`,
        message: `this API key may not access survey ${surveyOf.get(r.distributionId)}`,
      }));
    if (!refs.some((r) => surveyOf.has(r.distributionId)) && !problems.length)
      problems.push({
        field: 'actions',
        message:
          'this API key is limited to some surveys; the rule must reference a distribution of one of them',
      });
    if (problems.length)
      throw new DomainError(ErrorCode.FORBIDDEN, problems.map((x) => `${x.field}: ${x.message}`).join('; '), {
        fields: problems,
      });
  }

  /** Whether the key may see everything of these surveys (an empty list: only unlimited keys). */
  allows(p: Principal, surveys: string[]): boolean {
    return !p.surveyIds || (surveys.length > 0 && surveys.every((s) => p.surveyIds!.includes(s)));
  }

  /** The surveys each rule's current definition references. */
  async surveysOfRules(rules: RuleEntity[]): Promise<Map<string, string[]>> {
    const refs = new Map(rules.map((r) => [r.id, definitionRefs(r)] as const));
    const surveyOf = await this.distributions.surveysOf([...refs.values()].flat());
    return new Map(
      [...refs].map(([id, ds]) => [
        id,
        [...new Set(ds.map((d) => surveyOf.get(d)).filter((s): s is string => !!s))],
      ]),
    );
  }

  /** The surveys an object belongs to; null when it does not exist. */
  private async surveysOf(
    kind: Exclude<AccessTarget['kind'], 'rule-definition'>,
    id: string,
  ): Promise<string[] | null> {
    switch (kind) {
      case 'survey':
        return [id];
      case 'distribution':
        return this.ofDistributions([id], true);
      case 'link':
        return this.ofDistributions([...(await this.links.distributionsOf([id])).values()], true);
      case 'invite':
        return this.ofDistributions([...(await this.invites.distributionsOf([id])).values()], true);
      case 'case':
        return this.ofDistributions(await this.links.distributionsOfCase(id), false);
      case 'external-ref': {
        const ref = this.refs.verify(id, this.clock.now());
        return ref ? this.surveysOf('link', ref.linkId) : null;
      }
      case 'rule': {
        const rule = await this.rules.findById(id);
        return rule ? ((await this.surveysOfRules([rule])).get(rule.id) ?? []) : null;
      }
    }
  }

  private async ofDistributions(ids: string[], nullWhenNone: boolean): Promise<string[] | null> {
    const surveys = [...new Set((await this.distributions.surveysOf(ids)).values())];
    return surveys.length || !nullWhenNone ? surveys : null;
  }
}

/** The distributions a rule (or a rule definition) references; a definition that doesn't parse references none. */
function definitionRefs(r: unknown): string[] {
  const parsed = ruleShape.safeParse(r);
  return parsed.success ? distributionRefs(parsed.data).map((x) => x.distributionId) : [];
}

/** Whether a rule definition's actions write case fields: set_field, move_to_queue, a link written to a field. */
const forbidden = (field: string, message: string) =>
  new DomainError(ErrorCode.FORBIDDEN, message, { fields: [{ field, message }] });

function writesCaseFields(def: unknown): boolean {
  const actions = (def as { actions?: unknown } | null)?.actions;
  return (
    Array.isArray(actions) &&
    actions.some(
      (a: { type?: unknown; linkField?: unknown } | null) =>
        a?.type === 'set_field' ||
        a?.type === 'move_to_queue' ||
        (typeof a?.linkField === 'string' && a.linkField !== ''),
    )
  );
}

function valueAt(req: Pick<Request, 'params' | 'body' | 'query'>, path: string): unknown {
  const [where, ...rest] = path.split('.');
  let v: unknown = (req as unknown as Record<string, unknown>)[where];
  if (rest.join('.') === '*') return v;
  for (const k of rest) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}
