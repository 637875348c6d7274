// The enrolment link e-mailed to a new staff member: choose a password (the members' rules), then
// scan a QR code (or type the key) and confirm with one code; then the recovery codes, shown once.
// Opening the link changes nothing; the form token is bound to a random value in a cookie of this browser.
import type Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import QRCode from 'qrcode';
import { checkNewPassword, PASSWORD_MAX_LENGTH } from '../../../src/accounts/password-policy.ts';
import { choosePassword, confirmEnrolmentThrottled, findEnrolment, staffInvitationPath } from '../../../src/staff/enrolment.ts';
import { totpFor } from '../../../src/staff/second-factor.ts';
import { checkCsrf, csrfToken, formField, render, type FlowDeps } from '../../flow.ts';
import { CsrfError } from '../../../src/errors.ts';
import { pickLanguage, t } from '../../i18n.ts';
import type { FieldError } from '../../layout.ts';
import { passwordErrors } from '../../password-problems.ts';
import { choosePasswordView, invalidLinkView, recoveryCodesView, totpView } from './view.ts';

const FORM_COOKIE = 'hk_enrol';

export function registerEnrolment(router: Router, deps: FlowDeps): void {
  const { settings } = deps;
  const route = `${staffInvitationPath}:token`;
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: settings.issuer.startsWith('https:'), path: staffInvitationPath, signed: false, overwrite: true };
  const base = (ctx: Context) => `${staffInvitationPath}${ctx.params.token}`;

  function showInvalid(ctx: Context): void {
    const lang = pickLanguage(ctx);
    render(ctx, deps, { lang, title: t(lang, 'console.enrol.invalid_title'), status: 410, path: base(ctx), body: invalidLinkView(lang) });
  }

  /** The step the link is at: the password form, or the TOTP enrolment once a password is chosen. */
  async function showStep(ctx: Context, nonce: string, errors?: FieldError[]): Promise<void> {
    const lang = pickLanguage(ctx);
    const enrolment = await findEnrolment(deps.db, ctx.params.token!, settings.keyEncryptionKey, deps.now());
    if (!enrolment) return showInvalid(ctx);
    const csrf = csrfToken(settings, `enrol:${nonce}`);
    if (!enrolment.passwordChosen || !enrolment.totpSecret) {
      return render(ctx, deps, {
        lang,
        title: t(lang, 'console.enrol.title'),
        errors,
        path: base(ctx),
        body: choosePasswordView({ lang, action: base(ctx), csrf, name: enrolment.staff.name, email: enrolment.staff.email, minLength: settings.passwordMinLength, errors }),
      });
    }
    const uri = totpFor(enrolment.totpSecret, enrolment.staff.email, settings.brand.name).toString();
    const svg = await QRCode.toString(uri, { type: 'svg', margin: 2 });
    render(ctx, deps, {
      lang,
      title: t(lang, 'console.enrol.totp_title'),
      errors,
      path: base(ctx),
      body: totpView({ lang, action: base(ctx), csrf, qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`, secret: enrolment.totpSecret, errors }),
    });
  }

  function formNonce(ctx: Context): string {
    const nonce = ctx.cookies.get(FORM_COOKIE, { signed: false });
    if (!nonce) throw new CsrfError('no form cookie');
    checkCsrf(ctx, settings, `enrol:${nonce}`);
    return nonce;
  }

  router.get(route, async (ctx) => {
    const nonce = randomBytes(16).toString('base64url');
    ctx.cookies.set(FORM_COOKIE, nonce, cookieOptions);
    await showStep(ctx, nonce);
  });

  router.post(`${route}/password`, async (ctx) => {
    const nonce = formNonce(ctx);
    const token = ctx.params.token!;
    const enrolment = await findEnrolment(deps.db, token, settings.keyEncryptionKey, deps.now());
    if (!enrolment) return showInvalid(ctx);
    const password = formField(ctx, 'password', PASSWORD_MAX_LENGTH);
    const confirmation = formField(ctx, 'confirm', PASSWORD_MAX_LENGTH);
    const problems =
      password === null || confirmation === null
        ? (['too_long'] as const)
        : checkNewPassword(password, confirmation, { minLength: settings.passwordMinLength, identifiers: [enrolment.staff.email] });
    if (problems.length) {
      return showStep(ctx, nonce, passwordErrors(pickLanguage(ctx), [...problems], settings.passwordMinLength));
    }
    if (!(await choosePassword(deps.db, token, await deps.hasher.hash(password!), settings.keyEncryptionKey, deps.now()))) return showInvalid(ctx);
    ctx.status = 303;
    ctx.redirect(base(ctx));
  });

  router.post(`${route}/totp`, async (ctx) => {
    formNonce(ctx);
    const nonce = ctx.cookies.get(FORM_COOKIE, { signed: false })!;
    const lang = pickLanguage(ctx);
    const code = formField(ctx, 'code', 10) ?? '';
    const request = { ip: ctx.ip, userAgent: ctx.get('user-agent') };
    const result = await confirmEnrolmentThrottled(deps.signIn, ctx.params.token!, code, { keyEncryptionKey: settings.keyEncryptionKey, pepper: settings.passwordPepper }, request);
    if (result === undefined) return showInvalid(ctx);
    if (result === 'wrong_code' || result === 'throttled') {
      return showStep(ctx, nonce, [{ field: 'code', message: t(lang, result === 'throttled' ? 'console.login.throttled' : 'console.enrol.code_failed') }]);
    }
    ctx.cookies.set(FORM_COOKIE, null, cookieOptions);
    render(ctx, deps, { lang, title: t(lang, 'console.enrol.done_title'), path: null, body: recoveryCodesView({ lang, codes: result.recoveryCodes }) });
  });
}
