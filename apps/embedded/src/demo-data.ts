import { DataSource } from 'typeorm';

/** Fixed ids so the demo seed is idempotent and the README's curl commands stay true. */
export const DEMO = {
  surveyId: '5a1e0000-0000-4000-8000-000000000001',
  distributionId: 'd1570000-0000-4000-8000-000000000001',
  ruleId: '7a1e0000-0000-4000-8000-000000000001',
};

/** A survey, a trigger-based email distribution with templates, and the "invite on Resolved" rule. */
export async function seedDemoData(ds: DataSource): Promise<void> {
  await ds.transaction(async (em) => {
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
    const templates = [
      [
        'en',
        'How did we do on case {{case_number}}?',
        '<p>Hi {{customer_name}},</p><p>Your case {{case_number}} was resolved. Would you tell us how we did?</p><p><a href="{{survey_link}}">Take the 1-minute survey</a></p>',
        'Hi {{customer_name}},\n\nYour case {{case_number}} was resolved. Would you tell us how we did?\n{{survey_link}}',
      ],
      [
        'fr',
        'Comment avons-nous traité le dossier {{case_number}} ?',
        '<p>Bonjour {{customer_name}},</p><p>Votre dossier {{case_number}} est résolu. Pouvez-vous nous dire ce que vous en pensez ?</p><p><a href="{{survey_link}}">Répondre au questionnaire</a></p>',
        'Bonjour {{customer_name}},\n\nVotre dossier {{case_number}} est résolu. Votre avis :\n{{survey_link}}',
      ],
    ];
    for (const [i, [language, subject, html, text]] of templates.entries()) {
      await em.query(
        `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, html, text)
         VALUES ($1, $2, 'email', 'invitation', $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [`7e570000-0000-4000-8000-00000000000${i + 1}`, DEMO.distributionId, language, subject, html, text],
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
  });
}
