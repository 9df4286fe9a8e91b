import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

/** Permission names follow the product's own. */
export const PERMISSIONS = [
  'distribution:view',
  'distribution:edit',
  'rules:configure',
  /** Rules whose actions write case fields (set_field, move_to_queue, a survey action's linkField). */
  'case-fields:configure',
  /** Post case events over HTTP (the Kafka topic needs no key: the broker's ACLs govern it). */
  'case-events:publish',
  /** Create, list, rotate and revoke API keys (never more than the managing key holds itself). */
  'api-keys:manage',
  /** List and redrive dead letters (every topic's: they may belong to any survey). */
  'dead-letters:manage',
  /** Subscribe the customer's endpoints to events (outbound webhooks) and read their delivery logs. */
  'webhooks:manage',
  /** Scrape the gateway's Prometheus metrics at `/metrics`. */
  'metrics:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Where in the request the id of the object a route touches is found. */
export type RequestPath = `params.${string}` | `body.${string}` | `query.${string}`;

/** An object a route touches; the access check resolves it to the survey(s) it belongs to. */
export interface AccessTarget {
  kind:
    | 'survey'
    | 'distribution'
    | 'link'
    | 'invite'
    | 'case'
    | 'rule'
    /** A rule definition in the body: the surveys of the distributions it references. */
    | 'rule-definition'
    /** A signed reference (`fg_ref`) handed to an external survey tool: the survey of its link. */
    | 'external-ref';
  at: RequestPath;
}

/**
 * How a route relates to surveys, for keys limited to some surveys (`surveyIds`):
 * - targets: every object the route touches must belong only to surveys of the key;
 * - `filtered`: a list, answered with only what the key may see;
 * - `all-surveys`: shared by every survey (suppressions, quarantine rules, contacts, segments, API keys, new
 *   surveys): keys limited to surveys get 403;
 * - `none`: about no survey's objects (the case-event ingress).
 */
export type AccessScope = AccessTarget[] | 'filtered' | 'all-surveys' | 'none';

export interface AccessRequirement {
  /** null: any live key (e.g. a key reading what it may do). */
  permission: Permission | null;
  scope: AccessScope;
}

export const ACCESS = 'fg:access';

/**
 * Declares what a route needs: a permission and how it relates to surveys. Every ops route has one; a route
 * without it answers 403. The requirement is published in the OpenAPI document as `x-fg-access`.
 */
export const RequireAccess = (permission: Permission | null, scope: AccessScope) =>
  applyDecorators(
    SetMetadata(ACCESS, { permission, scope } satisfies AccessRequirement),
    ApiExtension('x-fg-access', {
      permission,
      scope: typeof scope === 'string' ? scope : scope.map((t) => `${t.kind}@${t.at}`),
    }),
  );

/** Shorthands for the common targets. */
export const target = {
  survey: (at: RequestPath): AccessTarget => ({ kind: 'survey', at }),
  distribution: (at: RequestPath): AccessTarget => ({ kind: 'distribution', at }),
  link: (at: RequestPath): AccessTarget => ({ kind: 'link', at }),
  case: (at: RequestPath): AccessTarget => ({ kind: 'case', at }),
  invite: (at: RequestPath): AccessTarget => ({ kind: 'invite', at }),
  rule: (at: RequestPath): AccessTarget => ({ kind: 'rule', at }),
  ruleDefinition: (at: RequestPath): AccessTarget => ({ kind: 'rule-definition', at }),
  externalRef: (at: RequestPath): AccessTarget => ({ kind: 'external-ref', at }),
};
