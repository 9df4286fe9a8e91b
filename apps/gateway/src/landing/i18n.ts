import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What respondents read, per language: one JSON file per language in `messages/` (decision 0027). Adding a
 * language is adding a file (`messages/it.json`, its keys those of `en.json`; `_dir` rtl for right-to-left).
 */
export type Catalog = Record<string, string>;

/** messages/ beside this file: in the source tree, and copied beside the compiled file by `npm run build`. */
export const MESSAGES_DIR = join(__dirname, 'messages');

export class Messages {
  private constructor(private readonly catalogs: Map<string, Catalog>) {}

  static load(dir = MESSAGES_DIR): Messages {
    if (!existsSync(dir)) throw new Error(`no message catalogs in ${dir} (npm run build copies them)`);
    const catalogs = new Map<string, Catalog>();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')))
      catalogs.set(f.slice(0, -5).toLowerCase(), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Catalog);
    if (!catalogs.has('en'))
      throw new Error(`${dir}/en.json is missing: English is every other language's fallback`);
    return new Messages(catalogs);
  }

  /** The keys a language's own file defines. */
  keys(language: string): string[] {
    return Object.keys(this.catalogs.get(language) ?? {}).sort();
  }

  languages(): string[] {
    return [...this.catalogs.keys()].sort();
  }

  /**
   * The first language we have among the wanted ones, each tried as is and then by its base (`fr-CA` → `fr`);
   * English when none. Wanted: the link's language, then the distribution's default, then the browser's.
   */
  resolve(...wanted: (string | null | undefined)[]): string {
    for (const w of wanted) {
      if (!w) continue;
      const tag = w.trim().toLowerCase().replace('_', '-');
      if (this.catalogs.has(tag)) return tag;
      const base = tag.split('-')[0];
      if (this.catalogs.has(base)) return base;
    }
    return 'en';
  }

  /** Languages of an Accept-Language header, most wanted first. */
  static acceptLanguage(header: string | undefined): string[] {
    return (header ?? '')
      .split(',')
      .map((part) => {
        const [tag, ...params] = part.trim().split(';');
        const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())).find(Boolean);
        return { tag, q: q ? Number(q[1]) : 1 };
      })
      .filter((x) => x.tag && x.tag !== '*' && x.q > 0)
      .sort((a, b) => b.q - a.q)
      .map((x) => x.tag);
  }

  /** A message with its `{name}` parameters filled in; the English one when the language lacks it. */
  t(language: string, key: string, params: Record<string, string | number> = {}): string {
    const text = this.catalogs.get(language)?.[key] ?? this.catalogs.get('en')![key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  }

  dir(language: string): 'ltr' | 'rtl' {
    return this.catalogs.get(language)?._dir === 'rtl' ? 'rtl' : 'ltr';
  }
}
