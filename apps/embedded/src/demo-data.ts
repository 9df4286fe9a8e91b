import { UnitOfWork } from '@fg/messaging';

/** Fixed ids so the demo seed is idempotent and the README's curl commands stay true. */
export const DEMO = {
  surveyId: '5a1e0000-0000-4000-8000-000000000001',
  distributionId: 'd1570000-0000-4000-8000-000000000001',
  ruleId: '7a1e0000-0000-4000-8000-000000000001',
  reminderRuleId: '7a1e0000-0000-4000-8000-000000000002',
  thankYouRuleId: '7a1e0000-0000-4000-8000-000000000003',
};

/**
 * A survey, a trigger-based email distribution with invitation, reminder and thank-you templates, and the
 * recommended three rules: invite on Resolved; one reminder 48 h after it unless Completed, Failed, Suppressed
 * or Unsubscribed; thank-you on Completed.
 */
export async function seedDemoData(uow: UnitOfWork): Promise<void> {
  await uow.run(async (em) => {
    await em.query(
      `INSERT INTO surveys (id, name, questions, languages) VALUES ($1, $2, $3::jsonb, '{en,fr}') ON CONFLICT DO NOTHING`,
      [
        DEMO.surveyId,
        'Customer satisfaction',
        JSON.stringify([
          {
            id: 'nps',
            type: 'nps',
            required: true,
            label: {
              en: 'How likely are you to recommend us to a friend?',
              fr: 'Quelle est la probabilité que vous nous recommandiez ?',
            },
          },
          {
            id: 'comment',
            type: 'free_text',
            label: { en: 'Anything we could do better?', fr: 'Que pourrions-nous améliorer ?' },
          },
        ]),
      ],
    );
    await em.query(
      `INSERT INTO distributions (id, survey_id, name, description, status, expiry, accounts, tags)
       VALUES ($1, $2, $3, $4, 'active', $5::jsonb, $6::jsonb, $7::jsonb) ON CONFLICT DO NOTHING`,
      [
        DEMO.distributionId,
        DEMO.surveyId,
        'Resolved cases (email)',
        'Sent when a case is resolved; the link is valid for 7 days after sending.',
        JSON.stringify({ mode: 'dynamic', amount: 7, unit: 'days' }),
        JSON.stringify({ email: { fromEmail: 'surveys@example.com', fromName: 'Support team' } }),
        JSON.stringify({ program: 'support-csat' }),
      ],
    );
    const templates: [string, string, string, string, string][] = [
      [
        'invitation',
        'en',
        'How did we do on case {{case_number}}?',
        '<p>Hi {{customer_name}},</p><p>Your case {{case_number}} was resolved. Would you tell us how we did?</p><p><a href="{{survey_link}}">Take the 1-minute survey</a></p>',
        'Hi {{customer_name}},\n\nYour case {{case_number}} was resolved. Would you tell us how we did?\n{{survey_link}}',
      ],
      [
        'invitation',
        'fr',
        'Comment avons-nous traité le dossier {{case_number}} ?',
        '<p>Bonjour {{customer_name}},</p><p>Votre dossier {{case_number}} est résolu. Pouvez-vous nous dire ce que vous en pensez ?</p><p><a href="{{survey_link}}">Répondre au questionnaire</a></p>',
        'Bonjour {{customer_name}},\n\nVotre dossier {{case_number}} est résolu. Votre avis :\n{{survey_link}}',
      ],
      [
        'reminder',
        'en',
        'A minute for case {{case_number}}?',
        '<p>Hi {{customer_name}}, we would still love your feedback on case {{case_number}}: <a href="{{survey_link}}">the survey</a>.</p>',
        'Hi {{customer_name}}, we would still love your feedback on case {{case_number}}: {{survey_link}}',
      ],
      [
        'reminder',
        'fr',
        'Une minute pour le dossier {{case_number}} ?',
        '<p>Bonjour {{customer_name}}, votre avis sur le dossier {{case_number}} nous intéresse toujours : <a href="{{survey_link}}">le questionnaire</a>.</p>',
        'Bonjour {{customer_name}}, votre avis sur le dossier {{case_number}} nous intéresse toujours : {{survey_link}}',
      ],
      [
        'thank_you',
        'en',
        'Thank you for your feedback',
        '<p>Thank you, {{customer_name}}. Your answers help us do better.</p>',
        'Thank you, {{customer_name}}. Your answers help us do better.',
      ],
      [
        'thank_you',
        'fr',
        'Merci pour votre avis',
        '<p>Merci, {{customer_name}}. Vos réponses nous aident à progresser.</p>',
        'Merci, {{customer_name}}. Vos réponses nous aident à progresser.',
      ],
    ];
    for (const [i, [kind, language, subject, html, text]] of templates.entries()) {
      await em.query(
        `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, html, text)
         VALUES ($1, $2, 'email', $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [
          `7e570000-0000-4000-8000-00000000000${i + 1}`,
          DEMO.distributionId,
          kind,
          language,
          subject,
          html,
          text,
        ],
      );
    }
    await em.query(
      `INSERT INTO rules (id, name, trigger, conditions, actions) VALUES ($1, $2, 'case.updated', $3::jsonb, $4::jsonb)
       ON CONFLICT DO NOTHING`,
      [
        DEMO.ruleId,
        'Survey resolved cases',
        JSON.stringify({ field: 'status', op: 'changed_to', value: 'Resolved' }),
        JSON.stringify([
          {
            type: 'send_invitation',
            distributionId: DEMO.distributionId,
            channel: 'email',
            linkField: 'survey_link',
          },
        ]),
      ],
    );
    const d = DEMO.distributionId;
    const more: [string, string, string, unknown, unknown][] = [
      [
        DEMO.reminderRuleId,
        'Remind after 48 h unless answered or undeliverable',
        'case.updated',
        {
          all: [
            { survey: 'last_sent_before', distributionId: d, channel: 'email', amount: 48, unit: 'hours' },
            { survey: 'response_status', distributionId: d, op: 'not_in', value: ['Completed'] },
            {
              survey: 'invite_status',
              distributionId: d,
              channel: 'email',
              op: 'not_in',
              value: ['Failed', 'Suppressed', 'Unsubscribed', 'No Invite'],
            },
          ],
        },
        [{ type: 'send_reminder', distributionId: d, channel: 'email', maxReminders: 1 }],
      ],
      [
        DEMO.thankYouRuleId,
        'Thank the respondent on Completed',
        'response.status.changed',
        { survey: 'response_status', distributionId: d, op: 'in', value: ['Completed'] },
        [{ type: 'send_thank_you', distributionId: d, channel: 'email' }],
      ],
    ];
    for (const [id, name, trigger, conditions, actions] of more)
      await em.query(
        `INSERT INTO rules (id, name, trigger, conditions, actions) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb)
         ON CONFLICT DO NOTHING`,
        [id, name, trigger, JSON.stringify(conditions), JSON.stringify(actions)],
      );
    await em.query(
      `INSERT INTO rule_versions (rule_id, version, definition)
       SELECT id, version, jsonb_build_object('name', name, 'trigger', trigger, 'enabled', enabled,
              'priority', priority, 'conditions', conditions, 'actions', actions)
       FROM rules WHERE id = ANY($1::uuid[]) ON CONFLICT DO NOTHING`,
      [[DEMO.ruleId, DEMO.reminderRuleId, DEMO.thankYouRuleId]],
    );
  });
}
