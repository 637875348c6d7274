// Language choice and text lookup. Bokmål is the default; English is the second language.
import type { Context } from 'koa';
import type { Language } from '../src/accounts/accounts.ts';
import { en } from './texts/en.ts';
import { nb, type TextKey } from './texts/nb.ts';

export type { TextKey };
export const catalogues: Record<Language, Record<TextKey, string>> = { nb, en };
export const LANGUAGE_COOKIE = 'hk_lang';

export function t(lang: Language, key: TextKey, params: Record<string, string | number> = {}): string {
  return catalogues[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
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
