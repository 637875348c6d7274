// A local stand-in for Vonage's SMS API (rest.nexmo.com): records each request as the SDK really sends
// it (POST /sms/json, Basic auth, JSON body) and answers as Vonage does: HTTP 200 with a per-message
// status (strings), also for errors; HTTP 5xx when the platform is down.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SmsRequest = { method: string; url: string; headers: IncomingHttpHeaders; body: Record<string, string> };
export type SmsReply = { status: number; body: unknown };

export const accepted = (to: string): SmsReply => ({
  status: 200,
  body: {
    'message-count': '1',
    messages: [{ to, 'message-id': '0A0000000123ABCD1', status: '0', 'remaining-balance': '15.53590000', 'message-price': '0.03330000', network: '24201' }],
  },
});
export const rejected = (status: string, errorText: string): SmsReply => ({
  status: 200,
  body: { 'message-count': '1', messages: [{ status, 'error-text': errorText }] },
});
export const httpError = (status: number): SmsReply => ({ status, body: { type: 'https://developer.nexmo.com/api-errors#internal-error', title: 'Service Unavailable' } });

export type FakeVonage = {
  url: string;
  requests: SmsRequest[];
  /** Answers for the next requests, in order; when empty, every request is accepted. */
  replies: SmsReply[];
  close(): Promise<void>;
};

export async function startFakeVonage(): Promise<FakeVonage> {
  const requests: SmsRequest[] = [];
  const replies: SmsReply[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : {};
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const reply = replies.shift() ?? accepted(body.to);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    replies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // the SDK's fetch keeps sockets alive
        server.close(() => resolve());
      }),
  };
}
