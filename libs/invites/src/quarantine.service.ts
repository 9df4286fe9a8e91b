import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Channel } from '@fg/contracts';
import { InviteRepository, QuarantineRuleRepository, ReferenceCache, readThrough } from '@fg/persistence';

/**
 * Contact frequency ("at most 1 survey invitation per contact per 30 days", across surveys). Only invitations
 * count and are checked: reminders and thank-yous of an invitation already sent never are. An invitation
 * counts once it was sent or is being sent; the check holds a per-contact advisory lock so two senders can't
 * both let one through.
 */
@Injectable()
export class QuarantineService {
  constructor(
    private readonly rulesRepo: QuarantineRuleRepository,
    private readonly invites: InviteRepository,
    private readonly cache?: ReferenceCache,
  ) {}

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
    const rules = await readThrough(this.cache, 'quarantine_rules', channel, () =>
      this.rulesRepo.enabledFor(em, channel),
    );
    if (!rules.length) return out;
    const keys = [...new Set(keyed.map((c) => c.contactKey!))].sort();
    await this.invites.lockContacts(em, keys);
    const admitted = new Map<string, { at: Date; channel: Channel }[]>();
    for (const rule of rules) {
      const rows = await this.invites.recentInvitations(em, {
        contactKeys: keys,
        except: keyed.map((c) => c.inviteId),
        channel: rule.channel,
        since: { now, amount: rule.period_amount, unit: rule.period_unit },
      });
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
