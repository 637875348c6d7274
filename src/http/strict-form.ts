// Every form post to our pages is checked before any flow sees it: an urlencoded body of flat text
// fields, valid UTF-8, no control characters. Anything else is a 400, never a crash or a 500.
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { BadRequest } from '../errors.ts';

// Tab, LF and CR are allowed (a browser may send CRLF in a textarea); other C0/C1 controls, DEL and the
// replacement character (what invalid UTF-8 decodes to) are not.
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/;

function decodeStrict(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    throw new BadRequest('invalid percent-encoding or UTF-8');
  }
}

export async function strictForm(ctx: Context, next: Next): Promise<void> {
  if (ctx.method !== 'POST') return next();
  if (!ctx.is('application/x-www-form-urlencoded')) throw new BadRequest('forms must be application/x-www-form-urlencoded', 415);
  const raw = (ctx.request as { rawBody?: string }).rawBody ?? '';
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    for (const part of pair.split('=')) {
      if (FORBIDDEN.test(decodeStrict(part))) throw new BadRequest('control characters or invalid UTF-8 in the form');
    }
  }
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  if (Object.values(body).some((value) => typeof value !== 'string')) throw new BadRequest('form fields must be plain text');
  await next();
}

const parse = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

// Requests whose form has been read and checked: a sign-in's form is read before it takes a place in
// the hash pool (interactions/busy), and its route's reader then has nothing left to do.
const read = new WeakSet<Context>();

/** Reads a small urlencoded form into ctx.request.body and checks it (strictForm); the one form reader of every page. */
export async function formBody(ctx: Context, next: Next): Promise<void> {
  if (read.has(ctx)) return next();
  await parse(ctx, () =>
    strictForm(ctx, () => {
      read.add(ctx);
      return next();
    }),
  );
}
