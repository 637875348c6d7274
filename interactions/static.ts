// The static files the pages link to. Their URLs carry a hash of the content, so browsers may cache
// them for long and still fetch a changed file (or a changed brand) at once.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import type { Brand } from '../config/settings.ts';

type StaticFile = { type: string; body: Buffer };

const read = (name: string) => readFileSync(new URL(`./static/${name}`, import.meta.url));
const version = (body: Buffer | string) => createHash('sha256').update(body).digest('base64url').slice(0, 10);

const FILES: Record<string, StaticFile> = {
  'hk.css': { type: 'text/css; charset=utf-8', body: read('hk.css') },
  'hk.js': { type: 'text/javascript; charset=utf-8', body: read('hk.js') },
  'logo.svg': { type: 'image/svg+xml', body: read('logo.svg') },
};
const VERSIONS = Object.fromEntries(Object.entries(FILES).map(([name, file]) => [name, version(file.body)]));

export function assetUrl(name: keyof typeof FILES & string): string {
  return `/static/${name}?v=${VERSIONS[name]}`;
}

/** `#rrggbb` mixed with white: `share` of the colour, the rest white. */
function tint(hex: string, share: number): string {
  const channel = (i: number) => Math.round(parseInt(hex.slice(i, i + 2), 16) * share + 255 * (1 - share));
  return `#${[1, 3, 5].map((i) => channel(i).toString(16).padStart(2, '0')).join('')}`;
}

/** The brand's colours as CSS variables (a file, since the CSP allows no inline style). */
export function brandCss(brand: Brand): string {
  return `:root { --brand: ${brand.color}; --brand-dark: ${brand.colorDark}; --brand-tint: ${tint(brand.color, 0.07)}; }\n`;
}

const brandVersions = new Map<string, string>();
export function brandCssUrl(brand: Brand): string {
  const css = brandCss(brand);
  if (!brandVersions.has(css)) brandVersions.set(css, version(css));
  return `/static/brand.css?v=${brandVersions.get(css)}`;
}

/** Every file under /static/, the brand's stylesheet included. */
function staticFiles(brand: Brand): Record<string, StaticFile> {
  return {
    ...Object.fromEntries(Object.entries(FILES).map(([name, file]) => [`/static/${name}`, file])),
    '/static/brand.css': { type: 'text/css; charset=utf-8', body: Buffer.from(brandCss(brand)) },
  };
}

/** GET /static/:file: the files above and the brand's CSS; any other name is a 404. */
export function registerStaticFiles(router: Router, brand: Brand): void {
  const files = staticFiles(brand);
  router.get('/static/:file', (ctx) => {
    const file = files[ctx.path];
    if (!file) return;
    ctx.type = file.type;
    // Pages link to these with a content hash in the URL, so a change is fetched at once.
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = file.body;
  });
}
