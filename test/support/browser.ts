// A minimal browser for integration tests: a cookie jar, manual redirects, and form submission by
// reading the page's own form (its action and hidden fields), as a person's browser would.
import assert from 'node:assert/strict';

type Cookie = { value: string; path: string };

export type Page = { status: number; url: string; html: string; location?: string; headers: Headers };

export class Browser {
  readonly cookies = new Map<string, Cookie>();
  readonly headers: Record<string, string>;

  constructor(headers: Record<string, string> = {}) {
    this.headers = { 'accept-language': 'nb', ...headers };
  }

  private cookieHeader(url: URL): string {
    return [...this.cookies].filter(([, c]) => url.pathname.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`).join('; ');
  }

  private store(response: Response, url: URL): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) ?? url.pathname;
      const expired = attributes.some((a) => /^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now()) || attributes.some((a) => /^max-age=0$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path });
    }
  }

  /** One request, no redirects followed. */
  async request(target: string | URL, init: { method?: string; form?: Record<string, string>; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Page> {
    const url = new URL(target);
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body: string | Buffer | undefined = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(response, url);
    const location = response.headers.get('location') ?? undefined;
    return { status: response.status, url: url.href, html: await response.text(), location: location ? new URL(location, url).href : undefined, headers: response.headers };
  }

  /** Follows redirects until a page is shown or the browser is sent to `stopAt` (the app's callback). */
  async go(target: string | URL, init: Parameters<Browser['request']>[1] = {}, stopAt?: string): Promise<Page> {
    let page = await this.request(target, init);
    for (let hops = 0; page.location && hops < 10; hops++) {
      if (stopAt && page.location.startsWith(stopAt)) return page;
      page = await this.request(page.location);
    }
    return page;
  }

  /** Submits the form on `page` whose action matches `action` (default: the first POST form). */
  async submit(page: Page, fields: Record<string, string>, options: { action?: RegExp; stopAt?: string } = {}): Promise<Page> {
    const forms = [...page.html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find((f) => !options.action || options.action.test(f[1]!));
    assert.ok(form, `no form ${options.action ?? ''} on the page:\n${page.html}`);
    const hidden = Object.fromEntries([...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)]));
    return this.go(new URL(decode(form[1]!), page.url), { form: { ...hidden, ...fields } }, options.stopAt);
  }
}

export const decode = (text: string) =>
  text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** The visible text of a page, for asserting on what a person reads. */
export const textOf = (html: string) => decode(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
