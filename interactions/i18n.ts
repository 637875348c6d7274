// Language choice and text lookup. Bokmål is the default; English is the second language.
import type { Context } from 'koa';
import type { Language } from '../config/vocabulary.ts';
import { en } from './texts/en.ts';
import { nb, type TextKey } from './texts/nb.ts';

export type { TextKey };
export const catalogues: Record<Language, Record<TextKey, string>> = { nb, en };
export const LANGUAGE_COOKIE = 'hk_lang';

// A count in a text is written as ICU MessageFormat's plural choice, "{n, plural, one {# time} other {# timer}}",
// and the form is picked by the language's own rules (Intl.PluralRules): no "1 ganger", no "1 minutes".
const PLURAL = /\{(\w+), plural,((?:\s*\w+ \{[^{}]*\})+)\s*\}/g;
const pluralRules = new Map<Language, Intl.PluralRules>();
const rulesFor = (lang: Language) => pluralRules.get(lang) ?? pluralRules.set(lang, new Intl.PluralRules(lang)).get(lang)!;

/** The forms of a plural choice by category ("one", "other"), as written. */
export function pluralForms(choice: string): Record<string, string> {
  return Object.fromEntries([...choice.matchAll(/(\w+) \{([^{}]*)\}/g)].map((m) => [m[1]!, m[2]!]));
}

/** The text with each plural choice resolved for its count (the count itself in place of #). */
function resolvePlurals(lang: Language, text: string, params: Record<string, string | number>): string {
  return text.replace(PLURAL, (whole, name: string, choices: string) => {
    if (params[name] === undefined) return whole;
    const count = Number(params[name]);
    const forms = pluralForms(choices);
    const form = forms[rulesFor(lang).select(count)] ?? forms.other ?? '';
    return form.replaceAll('#', String(params[name]));
  });
}

export function t(lang: Language, key: TextKey, params: Record<string, string | number> = {}): string {
  return resolvePlurals(lang, catalogues[lang][key], params).replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/**
 * A text whose count is not known yet (a countdown in the browser): each plural category's wording,
 * with "{name}" where the count goes. /static/hk.js picks one by Intl.PluralRules.
 */
export function tPlural(lang: Language, key: TextKey, name: string): Record<string, string> {
  const categories = rulesFor(lang).resolvedOptions().pluralCategories;
  return Object.fromEntries(
    categories.map((category) => [
      category,
      catalogues[lang][key].replace(PLURAL, (whole, choiceName: string, choices: string) => {
        const forms = pluralForms(choices);
        return choiceName === name ? (forms[category] ?? forms.other ?? '').replaceAll('#', `{${name}}`) : whole;
      }),
    ]),
  );
}

function fromTags(tags: string | undefined): Language | undefined {
  for (const tag of (tags ?? '').toLowerCase().split(/[\s,]+/)) {
    const primary = tag.split(/[-;]/)[0];
    if (primary === 'nb' || primary === 'nn' || primary === 'no') return 'nb';
    if (primary === 'en') return 'en';
  }
  return undefined;
}

/**
 * The page language: an explicit switch (?lang=, remembered in a cookie), then the app's ui_locales,
 * then the browser's Accept-Language, then bokmål.
 */
export function pickLanguage(ctx: Context, uiLocales?: string): Language {
  const asked = ctx.query.lang;
  if (asked === 'nb' || asked === 'en') {
    ctx.cookies.set(LANGUAGE_COOKIE, asked, { httpOnly: true, sameSite: 'lax', signed: false, overwrite: true, maxAge: 365 * 24 * 3600 * 1000 });
    return asked;
  }
  const remembered = ctx.cookies.get(LANGUAGE_COOKIE, { signed: false });
  if (remembered === 'nb' || remembered === 'en') return remembered;
  return fromTags(uiLocales) ?? fromTags(ctx.get('accept-language')) ?? 'nb';
}
