import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { newId } from '@fg/common';
import { TemplateEntity } from '../entities/template.entity';

export type TemplateKey = Pick<TemplateEntity, 'distributionId' | 'channel' | 'kind'>;
export type TemplateContent = Pick<
  TemplateEntity,
  'channel' | 'kind' | 'language' | 'subject' | 'html' | 'text' | 'contentSid' | 'contentVariables'
>;

/** The only SQL for `templates`. */
@Injectable()
export class TemplateRepository {
  constructor(private readonly ds: DataSource) {}

  /** The templates of (distribution, channel, kind) in any of these languages. */
  inLanguages(
    q: TemplateKey,
    languages: string[],
    em: EntityManager = this.ds.manager,
  ): Promise<TemplateEntity[]> {
    return em.getRepository(TemplateEntity).find({ where: { ...q, language: In(languages) } });
  }

  list(distributionId: string): Promise<TemplateEntity[]> {
    return this.ds
      .getRepository(TemplateEntity)
      .find({ where: { distributionId }, order: { channel: 'ASC', kind: 'ASC', language: 'ASC' } });
  }

  /** Creates or replaces the template of (distribution, channel, kind, language). */
  async upsert(em: EntityManager, distributionId: string, t: TemplateContent): Promise<TemplateEntity> {
    await em.query(
      `INSERT INTO templates (id, distribution_id, channel, kind, language, subject, html, text, content_sid, content_variables)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
       ON CONFLICT (distribution_id, channel, kind, language) DO UPDATE SET subject = excluded.subject,
         html = excluded.html, text = excluded.text, content_sid = excluded.content_sid,
         content_variables = excluded.content_variables`,
      [
        newId(),
        distributionId,
        t.channel,
        t.kind,
        t.language,
        t.subject,
        t.html,
        t.text,
        t.contentSid,
        t.contentVariables ? JSON.stringify(t.contentVariables) : null,
      ],
    );
    return em.getRepository(TemplateEntity).findOneByOrFail({
      distributionId,
      channel: t.channel,
      kind: t.kind,
      language: t.language,
    });
  }

  /** Copies every template of one distribution to another (every column but the id and the distribution). */
  async copyAll(em: EntityManager, from: string, to: string): Promise<void> {
    const columns = em
      .getRepository(TemplateEntity)
      .metadata.columns.map((c) => c.databaseName)
      .filter((c) => c !== 'id' && c !== 'distribution_id');
    await em.query(
      `INSERT INTO templates (id, distribution_id, ${columns.join(', ')})
       SELECT gen_random_uuid(), $2, ${columns.join(', ')} FROM templates WHERE distribution_id = $1`,
      [from, to],
    );
  }
}
