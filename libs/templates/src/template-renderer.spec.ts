import { DomainError, ErrorCode } from '@fg/common';
import { TemplateRenderer } from './template-renderer';

describe('template renderer', () => {
  const r = new TemplateRenderer();

  it('fills case-field placeholders', () => {
    expect(
      r.render('Hi {{customer_name}}, {{survey_link}}', {
        customer_name: 'Ada',
        survey_link: 'https://x/s/abc',
      }),
    ).toBe('Hi Ada, https://x/s/abc');
  });

  it('escapes values in HTML but not in text', () => {
    const vars = { customer_name: '<b>Ada</b>' };
    expect(r.render('<p>{{customer_name}}</p>', vars, { html: true })).toBe('<p>&lt;b&gt;Ada&lt;/b&gt;</p>');
    expect(r.render('{{customer_name}}', vars)).toBe('<b>Ada</b>');
  });

  it('refuses to render "Hi ," and names every missing placeholder', () => {
    let err: unknown;
    try {
      r.render(
        'Hi {{customer_name}}, case {{case.number}}: {{survey_link}}',
        { customer_name: '', survey_link: 'x' },
        { part: 'subject' },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(ErrorCode.TEMPLATE_MISSING_VALUE);
    expect((err as DomainError).message).toBe('subject has no value for {{customer_name}}, {{case.number}}');
  });

  it('lists placeholders inside blocks, not helper names', () => {
    expect(r.placeholders('{{#if vip}}Dear {{customer_name}}{{/if}}').sort()).toEqual([
      'customer_name',
      'vip',
    ]);
  });

  it('will not render an HTML template that inserts a value unescaped, and never resolves inherited properties', () => {
    expect(r.unescaped('<p>{{{customer_name}}} {{& note}} {{ok}}</p>').sort()).toEqual([
      'customer_name',
      'note',
    ]);
    expect(() =>
      r.render('<p>{{{customer_name}}}</p>', { customer_name: '<img src=x>' }, { html: true }),
    ).toThrow(/inserts \{\{\{customer_name\}\}\} without HTML escaping/);
    expect(r.missing('{{constructor}} {{a.__proto__}}', { a: {} })).toEqual(['constructor', 'a.__proto__']);
  });
});
