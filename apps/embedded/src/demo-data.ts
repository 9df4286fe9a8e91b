import { INestApplicationContext } from '@nestjs/common';
import { UnitOfWork } from '@fg/messaging';
import {
  DistributionRepository,
  RuleRepository,
  SurveyRepository,
  TemplateRepository,
} from '@fg/persistence';

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
export async function seedDemoData(app: INestApplicationContext): Promise<void> {
  const surveys = app.get(SurveyRepository);
  const distributions = app.get(DistributionRepository);
  const templateRows = app.get(TemplateRepository);
  const rules = app.get(RuleRepository);
  await app.get(UnitOfWork).run(async (em) => {
    // Seeded in one transaction: when the survey is there, so is the rest (and edits to it are kept).
    if (await surveys.exists(DEMO.surveyId, em)) return;
    await surveys.insert(
      {
        id: DEMO.surveyId,
        name: 'Customer satisfaction',
        languages: ['en', 'fr'],
        questions: [
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
        ],
      },
      em,
    );
    await distributions.insert(
      {
        id: DEMO.distributionId,
        surveyId: DEMO.surveyId,
        name: 'Resolved cases (email)',
        description: 'Sent when a case is resolved; the link is valid for 7 days after sending.',
        status: 'active',
        expiry: { mode: 'dynamic', amount: 7, unit: 'days' },
        accounts: { email: { fromEmail: 'surveys@example.com', fromName: 'Support team' } },
        tags: { program: 'support-csat' },
      },
      em,
    );
    const templates: [string, string, string, string, string][] = [
      [
        'invitation',
        'en',
        'How did we do on case {{case_number}}?',
        '<p>Hi {{customer_name}},</p><p>Your case {{case_number}} was resolved. Would you tell us how we did?</p><p><a href="{{survey_link}}">Take the 1-minute survey</a></p><p style="font-size:12px;color:#666"><a href="{{unsubscribe_url}}">Unsubscribe from these messages</a></p>',
        'Hi {{customer_name}},\n\nYour case {{case_number}} was resolved. Would you tell us how we did?\n{{survey_link}}\n\nUnsubscribe: {{unsubscribe_url}}',
      ],
      [
        'invitation',
        'fr',
        'Comment avons-nous traité le dossier {{case_number}} ?',
        '<p>Bonjour {{customer_name}},</p><p>Votre dossier {{case_number}} est résolu. Pouvez-vous nous dire ce que vous en pensez ?</p><p><a href="{{survey_link}}">Répondre au questionnaire</a></p><p style="font-size:12px;color:#666"><a href="{{unsubscribe_url}}">Se désabonner de ces messages</a></p>',
        'Bonjour {{customer_name}},\n\nVotre dossier {{case_number}} est résolu. Votre avis :\n{{survey_link}}\n\nSe désabonner: {{unsubscribe_url}}',
      ],
      [
        'reminder',
        'en',
        'A minute for case {{case_number}}?',
        '<p>Hi {{customer_name}}, we would still love your feedback on case {{case_number}}: <a href="{{survey_link}}">the survey</a>.</p><p style="font-size:12px;color:#666"><a href="{{unsubscribe_url}}">Unsubscribe from these messages</a></p>',
        'Hi {{customer_name}}, we would still love your feedback on case {{case_number}}: {{survey_link}}\n\nUnsubscribe: {{unsubscribe_url}}',
      ],
      [
        'reminder',
        'fr',
        'Une minute pour le dossier {{case_number}} ?',
        '<p>Bonjour {{customer_name}}, votre avis sur le dossier {{case_number}} nous intéresse toujours : <a href="{{survey_link}}">le questionnaire</a>.</p><p style="font-size:12px;color:#666"><a href="{{unsubscribe_url}}">Se désabonner de ces messages</a></p>',
        'Bonjour {{customer_name}}, votre avis sur le dossier {{case_number}} nous intéresse toujours : {{survey_link}}\n\nSe désabonner: {{unsubscribe_url}}',
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
    for (const [kind, language, subject, html, text] of templates)
      await templateRows.upsert(em, DEMO.distributionId, {
        channel: 'email',
        kind: kind as 'invitation' | 'reminder' | 'thank_you',
        language,
        subject,
        html,
        text,
        contentSid: null,
        contentVariables: null,
      });
    const d = DEMO.distributionId;
    const all: [string, string, 'case.updated' | 'response.status.changed', object, object[]][] = [
      [
        DEMO.ruleId,
        'Survey resolved cases',
        'case.updated',
        { field: 'status', op: 'changed_to', value: 'Resolved' },
        [{ type: 'send_invitation', distributionId: d, channel: 'email', linkField: 'survey_link' }],
      ],
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
    for (const [id, name, trigger, conditions, actions] of all) {
      const definition = { name, trigger, enabled: true, priority: 100, conditions, actions };
      await rules.insert({ id, version: 1, ...definition }, em);
      await rules.recordVersion(em, id, 1, definition, 'embedded demo data');
    }
  });
}
