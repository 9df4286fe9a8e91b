import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  ReferenceCache,
  TemplateEntity,
  TemplateKey,
  TemplateRepository,
  readThrough,
} from '@fg/persistence';

/** The languages to try, in order: the one asked for, its base language ("fr-CA" → "fr"), the default. */
export function languageCandidates(language: string, defaultLanguage: string): string[] {
  return [...new Set([language, language.split(/[-_]/)[0], defaultLanguage])];
}

/**
 * The one template lookup, for sends, previews and test sends alike: a preview never refuses a language a real
 * send would serve, nor shows a template a send would not use.
 */
@Injectable()
export class TemplateResolver {
  constructor(
    private readonly templates: TemplateRepository,
    private readonly cache?: ReferenceCache,
  ) {}

  async resolve(
    q: TemplateKey,
    language: string,
    defaultLanguage: string,
    em?: EntityManager,
  ): Promise<TemplateEntity | null> {
    const wanted = languageCandidates(language, defaultLanguage);
    const key = `${q.distributionId}|${q.channel}|${q.kind}|${wanted.join(',')}`;
    const rows = await readThrough(this.cache, 'templates', key, () =>
      this.templates.inLanguages(q, wanted, em),
    );
    for (const l of wanted) {
      const t = rows.find((r) => r.language === l);
      if (t) return t;
    }
    return null;
  }
}
