import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { opsApi } from './ops-api';

/**
 * A survey and an SMS distribution set up the way an operator would (accounts, an invitation template and the rule
 * "invite by SMS when `custom.program` is this distribution" over the ops REST); returns the distribution's id.
 */
export async function smsDistribution(
  ds: DataSource,
  api: ReturnType<typeof opsApi>,
  o: { from: string; text: string; linkField?: string },
): Promise<string> {
  const surveyId = randomUUID();
  const d = randomUUID();
  await ds.query(`INSERT INTO surveys (id, name) VALUES ($1, 'CSAT')`, [surveyId]);
  await ds.query(`INSERT INTO distributions (id, survey_id, name, status) VALUES ($1, $2, 'D', 'active')`, [
    d,
    surveyId,
  ]);
  await api.put(`/ops/distributions/${d}/channels`, { accounts: { sms: { from: o.from } } }).expect(200);
  await api
    .put(`/ops/distributions/${d}/templates`, {
      channel: 'sms',
      kind: 'invitation',
      language: 'en',
      text: o.text,
    })
    .expect(200);
  await api
    .post('/ops/rules', {
      name: 'invite by sms',
      trigger: 'case.updated',
      conditions: { field: 'custom.program', op: 'equals', value: d },
      actions: [
        {
          type: 'send_invitation',
          distributionId: d,
          channel: 'sms',
          ...(o.linkField ? { linkField: o.linkField } : {}),
        },
      ],
    })
    .expect(201);
  return d;
}
