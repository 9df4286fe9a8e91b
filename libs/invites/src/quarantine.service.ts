import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Channel } from '@fg/contracts';

interface RuleRow {
  id: string;
  name: string;
  channel: Channel | null;
  max_invites: number;
  period_amount: number;
  period_unit: 'hours' | 'days' | 'weeks' | 'months' | 'years';
}

const INTERVAL: Record<RuleRow['period_unit'], string> = {
  hours: 'hours',
  days: 'days',
  weeks: 'weeks',
  months: 'months',
  years: 'years',
};

/**
 * Contact frequency ("at most 1 survey invitation per contact per 30 days", across surveys). Only invitations
 * count and are checked: reminders and thank-yous of an invitation already sent never are. An invitation
 * counts once it was sent or is being sent; the check holds a per-contact advisory lock so two senders can't
 * both let one through.
 */
@Injectable()
export class QuarantineService {
  /** The invitations among these that break a rule, with the reason naming the rule. */
  async check(
    em: EntityManager,
    channel: Channel,
    candidates: { inviteId: string; contactKey: string | null }[],
    now: Date,
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const keyed = candidates.filter((c) => c.contactKey);
    if (!keyed.length) return out;
    const rules: RuleRow[] = await em.query(
      `SELECT id, name, channel, max_invites, period_amount, period_unit FROM quarantine_rules
       WHERE enabled AND (channel IS NULL OR channel = $1) ORDER BY created_at`,
      [channel],
    );
    if (!rules.length) return out;
    const keys = [...new Set(keyed.map((c) => c.contactKey!))].sort();
    await em.query(
      `SELECT pg_advisory_xact_lock(hashtext('quarantine:' || k)) FROM unnest($1::text[]) AS k`,
      [keys],
    );
    const admitted = new Map<string, { at: Date; channel: Channel }[]>();
    for (const rule of rules) {
      const rows: { contact_key: string; sent: Date; channel: Channel }[] = await em.query(
        `SELECT contact_key, COALESCE(sent_at, attempted_at) AS sent, channel FROM invites
         WHERE contact_key = ANY($1::text[]) AND kind = 'invitation' AND id <> ALL($2::uuid[])
           AND ($3::text IS NULL OR channel = $3)
           AND (sent_at IS NOT NULL OR delivery_status = 'sending')
           AND COALESCE(sent_at, attempted_at) > $4::timestamptz - ($5 || ' ${INTERVAL[rule.period_unit]}')::interval`,
        [keys, keyed.map((c) => c.inviteId), rule.channel, now, String(rule.period_amount)],
      );
      for (const r of rows) {
        const list = admitted.get(`${rule.id}|${r.contact_key}`) ?? [];
        list.push({ at: r.sent, channel: r.channel });
        admitted.set(`${rule.id}|${r.contact_key}`, list);
      }
    }
    for (const c of keyed) {
      for (const rule of rules) {
        const k = `${rule.id}|${c.contactKey}`;
        const seen = admitted.get(k) ?? [];
        if (seen.length >= rule.max_invites) {
          out.set(
            c.inviteId,
            `QUARANTINED: rule "${rule.name}" allows ${rule.max_invites} invitation(s) per contact per ${rule.period_amount} ${rule.period_unit}`,
          );
          break;
        }
      }
      if (out.has(c.inviteId)) continue;
      // Admitted: it counts against the rules for the rest of this batch.
      for (const rule of rules) {
        const k = `${rule.id}|${c.contactKey}`;
        admitted.set(k, [...(admitted.get(k) ?? []), { at: now, channel }]);
      }
    }
    return out;
  }
}
