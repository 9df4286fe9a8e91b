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

  missing(source: string, vars: Vars): string[] {
    return this.placeholders(source).filter((p) => {
      const v = p
        .split('.')
        .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Vars)[k] : undefined), vars);
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
      tpl = this.hbs.compile(source, { strict: true, noEscape: !opts.html, knownHelpersOnly: true });
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(key, tpl);
    }
    return tpl(vars);
  }
}

const BUILTIN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log']);
