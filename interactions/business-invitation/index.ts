// The invitation link e-mailed to a new business user: opening it changes nothing (mail scanners
// open links too); the form on it sets the password, uses the link up and activates the account.
// No app is in the picture, so the person is sent on to the business portal afterwards. There are no
// steps to remember between requests: the link's token is the state (held by the core, in the
// invitations table), and the form cookie only binds the form token to this browser.
import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { formBody } from '../../src/http/strict-form.ts';
import type { Context } from 'koa';
import { acceptBusinessInvitation, findInvitation, invitationPath } from '../../src/accounts/business-users.ts';
import { PASSWORD_MAX_LENGTH } from '../../src/accounts/password-policy.ts';
import { checkCsrf, csrfToken, formField, render, type FlowDeps } from '../flow.ts';
import { CsrfError } from '../../src/errors.ts';
import { pickLanguage, t } from '../i18n.ts';
import type { FieldError } from '../layout.ts';
import { passwordErrors } from '../password-problems.ts';
import { activatedView, invalidView, invitationView } from './view.ts';

// The form token is bound to a random value in a cookie of this browser (there is no interaction here).
const FORM_COOKIE = 'hk_invitation';

export function registerBusinessInvitation(router: Router, deps: FlowDeps): void {
  const { settings } = deps;
  const route = `${invitationPath}:token`;
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: settings.issuer.startsWith('https:'), path: invitationPath, signed: false, overwrite: true };

  function showInvalid(ctx: Context): void {
    const lang = pickLanguage(ctx);
    render(ctx, deps, {
      lang,
      title: t(lang, 'business.invitation.invalid.title'),
      status: 410,
      // The link itself, in the other language (it says the same).
      path: ctx.path,
      body: invalidView({ lang, contactEmail: settings.contactEmail, portalUrl: settings.businessPortalUrl }),
    });
  }

  function showForm(ctx: Context, email: string, nonce: string, errors?: FieldError[]): void {
    const lang = pickLanguage(ctx);
    render(ctx, deps, {
      lang,
      title: `${t(lang, 'business.step.choose_password')} – ${t(lang, 'business.invitation.title')}`,
      errors,
      path: ctx.path,
      body: invitationView({ lang, action: ctx.path, csrf: csrfToken(settings, `invitation:${nonce}`), email, minLength: settings.passwordMinLength, errors }),
    });
  }

  router.get(route, async (ctx) => {
    const account = await findInvitation(deps.db, ctx.params.token!, deps.now());
    if (!account) return showInvalid(ctx);
    const nonce = randomBytes(16).toString('base64url');
    ctx.cookies.set(FORM_COOKIE, nonce, cookieOptions);
    showForm(ctx, account.email!, nonce);
  });

  router.post(route, formBody, async (ctx) => {
    const nonce = ctx.cookies.get(FORM_COOKIE, { signed: false });
    if (!nonce) throw new CsrfError('no form cookie');
    checkCsrf(ctx, settings, `invitation:${nonce}`);
    const input = { token: ctx.params.token!, password: formField(ctx, 'password', PASSWORD_MAX_LENGTH), confirmation: formField(ctx, 'confirm', PASSWORD_MAX_LENGTH) };
    const result = await acceptBusinessInvitation(deps.db, deps.hasher, settings, input, { ip: ctx.ip, userAgent: ctx.get('user-agent') }, deps.now());
    if (result.status === 'refused') return showInvalid(ctx);
    const lang = pickLanguage(ctx);
    if (result.status === 'invalid') {
      return showForm(ctx, result.email, nonce, passwordErrors(lang, result.problems, settings.passwordMinLength));
    }
    render(ctx, deps, {
      lang,
      title: t(lang, 'business.done.activated'),
      path: null,
      body: activatedView({ lang, email: result.account.email!, portalUrl: settings.businessPortalUrl }),
    });
  });
}
