import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { TemplateEntity } from '@fg/persistence';

@Injectable()
export class TemplateRepository {
  /** The template for a language, falling back to its base language ("fr-CA" → "fr") and then the default. */
  async find(
    em: EntityManager,
    q: { distributionId: string; channel: TemplateEntity['channel']; kind: TemplateEntity['kind'] },
    language: string,
    defaultLanguage: string,
  ): Promise<TemplateEntity | null> {
    const wanted = [...new Set([language, language.split('-')[0], defaultLanguage])];
    const rows = await em.getRepository(TemplateEntity).find({ where: { ...q, language: In(wanted) } });
    for (const l of wanted) {
      const t = rows.find((r) => r.language === l);
      if (t) return t;
    }
    return null;
  }
}
