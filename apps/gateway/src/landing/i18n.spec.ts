import { Messages } from './i18n';

describe('respondent message catalogs', () => {
  const m = Messages.load();

  it('ship English, French, German, Spanish, Portuguese, Dutch and a right-to-left language', () => {
    expect(m.languages()).toEqual(expect.arrayContaining(['en', 'fr', 'de', 'es', 'pt', 'nl', 'ar']));
    expect(m.dir('ar')).toBe('rtl');
    expect(m.dir('fr')).toBe('ltr');
  });

  it('have every key English has, and keep its {parameters}', () => {
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort();
    for (const lang of m.languages()) {
      expect({ lang, keys: m.keys(lang) }).toEqual({ lang, keys: m.keys('en') });
      for (const key of m.keys('en'))
        expect({ lang, key, params: params(m.t(lang, key)) }).toEqual({
          lang,
          key,
          params: params(m.t('en', key)),
        });
    }
  });

  it('falls back by region, then to the next wanted language, then to English', () => {
    expect(m.resolve('fr-CA')).toBe('fr');
    expect(m.resolve('pt_BR')).toBe('pt');
    expect(m.resolve('xx', 'de')).toBe('de');
    expect(m.resolve('xx', null, undefined)).toBe('en');
    expect(Messages.acceptLanguage('nl-BE,nl;q=0.9,en;q=0.8, *;q=0.1')).toEqual(['nl-BE', 'nl', 'en']);
    expect(m.t('fr', 'survey.progress', { current: 2, total: 4 })).toBe('Question 2 sur 4');
  });
});
