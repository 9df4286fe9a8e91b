import Handlebars from 'handlebars';
import { DomainError, ErrorCode } from '@fg/common';

type Vars = Record<string, unknown>;

/**
 * Renders customer-facing templates with a private Handlebars instance (no helpers or partials registered
 * globally leak in). A placeholder without a value is an error naming every missing field, never "Hi ,".
 */
export class TemplateRenderer {
  private readonly hbs = Handlebars.create();
  private readonly cache = new Map<string, HandlebarsTemplateDelegate>();

  /** Placeholders a template refers to, e.g. `customer_name`, `survey_link`. */
  placeholders(source: string): string[] {
    const found = new Set<string>();
    const visit = (node: unknown) => {
      if (!node || typeof node !== 'object') return;
      const n = node as { type?: string; original?: string; parts?: string[] };
      if (n.type === 'PathExpression' && n.original && !n.original.startsWith('@') && n.original !== 'this') {
        found.add(n.original.replace(/^this\./, ''));
      }
      for (const v of Object.values(node)) {
        if (Array.isArray(v)) v.forEach(visit);
        else if (v && typeof v === 'object') visit(v);
      }
    };
    visit(this.hbs.parse(source));
    return [...found].filter((p) => !BUILTIN_HELPERS.has(p));
  }

  /**
   * Placeholders written to skip HTML escaping (`{{{x}}}` or `{{& x}}`). Values come from CRM fields a customer
   * may have typed, so none may be inserted raw into an email: templates using them are refused.
   */
  unescaped(source: string): string[] {
    const found = new Set<string>();
    const visit = (node: unknown) => {
      if (!node || typeof node !== 'object') return;
      const n = node as { type?: string; escaped?: boolean; path?: { original?: string } };
      if (n.type === 'MustacheStatement' && n.escaped === false) found.add(n.path?.original ?? '?');
      for (const v of Object.values(node)) {
        if (Array.isArray(v)) v.forEach(visit);
        else if (v && typeof v === 'object') visit(v);
      }
    };
    visit(this.hbs.parse(source));
    return [...found];
  }

  missing(source: string, vars: Vars): string[] {
    return this.placeholders(source).filter((p) => {
      const v = p
        .split('.')
        .reduce<unknown>(
          (o, k) =>
            o && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k)
              ? (o as Vars)[k]
              : undefined,
          vars,
        );
      return v === undefined || v === null || v === '';
    });
  }

  render(source: string, vars: Vars, opts: { html?: boolean; part?: string } = {}): string {
    const missing = this.missing(source, vars);
    if (missing.length) {
      throw new DomainError(
        ErrorCode.TEMPLATE_MISSING_VALUE,
        `${opts.part ?? 'template'} has no value for ${missing.map((m) => `{{${m}}}`).join(', ')}`,
        { missing, part: opts.part },
      );
    }
    const key = `${opts.html ? 'h' : 't'}:${source}`;
    let tpl = this.cache.get(key);
    if (!tpl) {
      const raw = opts.html ? this.unescaped(source) : [];
      if (raw.length)
        throw new DomainError(
          ErrorCode.TEMPLATE_UNSAFE,
          `${opts.part ?? 'template'} inserts ${raw.map((r) => `{{{${r}}}}`).join(', ')} without HTML escaping`,
          { unescaped: raw, part: opts.part },
        );
      tpl = this.hbs.compile(source, { strict: true, noEscape: !opts.html, knownHelpersOnly: true });
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(key, tpl);
    }
    return tpl(vars);
  }
}

const BUILTIN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log']);
