import { DataSource } from 'typeorm';
import { TemplateRepository } from '@fg/persistence';
import { mediumDataSource, seedDistribution, seedTemplate } from '../../../test/support/medium';
import { TemplateResolver, languageCandidates } from './template-resolver';

describe('TemplateResolver on Postgres', () => {
  let ds: DataSource;
  let sut: TemplateResolver;
  let distributionId: string;

  beforeAll(async () => {
    ds = await mediumDataSource(2);
    sut = new TemplateResolver(new TemplateRepository(ds));
    ({ distributionId } = await seedDistribution(ds));
    for (const language of ['en', 'fr', 'pt-BR'])
      await seedTemplate(ds, distributionId, { channel: 'email', kind: 'invitation', language });
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const resolve = async (language: string, fallback = 'en') =>
    (await sut.resolve({ distributionId, channel: 'email', kind: 'invitation' }, language, fallback))
      ?.language ?? null;

  it('serves the language, then its base language, then the default, like every send and preview', async () => {
    expect(languageCandidates('fr_CA', 'en')).toEqual(['fr_CA', 'fr', 'en']);
    expect(await resolve('pt-BR')).toBe('pt-BR');
    expect(await resolve('fr-CA')).toBe('fr');
    expect(await resolve('fr_CA')).toBe('fr');
    expect(await resolve('de')).toBe('en');
    expect(await resolve('de', 'fr')).toBe('fr');
    expect(await resolve('de', 'it')).toBeNull();
    expect(await sut.resolve({ distributionId, channel: 'sms', kind: 'invitation' }, 'en', 'en')).toBeNull();
  });
});
