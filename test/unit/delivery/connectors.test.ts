// The connectors on their own: how failures are sorted, the timeouts they always set, the SMS
// encoding. (Sending through the outbox is tested in test/integration/delivery.test.ts.)
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { MessageRequest, Renderer } from '../../../src/delivery/delivery.ts';
import { DeliveryError } from '../../../src/errors.ts';
import { classifySmtpError, createSmtpConnector } from '../../../src/delivery/smtp.ts';
import { createVonageConnector, isGsmText } from '../../../src/delivery/vonage.ts';
import { freePort } from '../../support/idp.ts';
import { httpError, startFakeVonage } from '../../support/vonage.ts';

const sms = (text: string): { message: MessageRequest; render: Renderer } => ({
  message: { channel: 'sms', to: '+4791234567', kind: 'k', language: 'nb', params: {} },
  render: () => ({ subject: 's', text, html: '' }),
});
const vonageSettings = (restHost: string) => ({ apiKey: 'key', apiSecret: 'secret', sender: 'HK', restHost });
const failure = (kind: string) => (error: unknown) => error instanceof DeliveryError && error.failure === kind;

test('SMTP errors: server refusals marked permanent stop, network trouble and 4xx retry', () => {
  assert.equal(classifySmtpError({ code: 'EENVELOPE', responseCode: 550, permanent: true, response: '550 5.1.1 no such user' }).failure, 'permanent');
  assert.equal(classifySmtpError({ code: 'EAUTH', responseCode: 535, permanent: true }).failure, 'permanent');
  assert.equal(classifySmtpError({ code: 'EAUTH' }).failure, 'permanent', 'a refused login does not heal by waiting');
  assert.equal(classifySmtpError({ code: 'ECONFIG' }).failure, 'permanent');
  assert.equal(classifySmtpError({ code: 'EENVELOPE', responseCode: 451, permanent: false }).failure, 'temporary');
  assert.equal(classifySmtpError({ code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:1' }).failure, 'temporary');
  assert.equal(classifySmtpError({ code: 'ETIMEDOUT' }).failure, 'temporary');
  assert.equal(classifySmtpError(new Error('anything else')).failure, 'temporary');
  assert.equal(classifySmtpError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' }).message, 'smtp EENVELOPE 550 5.1.1 no such user');
});

test('an SMTP server that never greets is given up on (temporary), not waited for', async () => {
  const sockets: Socket[] = [];
  const silent = createTcpServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as AddressInfo).port;
  const connector = createSmtpConnector({ url: `smtp://127.0.0.1:${port}`, from: 'noreply@hk.example', requireTls: false }, () => ({ subject: 's', text: 't', html: '<p>t</p>' }), { greetingTimeout: 200 });
  try {
    await assert.rejects(connector.send({ channel: 'email', to: 'kari@example.org', kind: 'k', language: 'nb', params: {} }), failure('temporary'));
  } finally {
    connector.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('Vonage: no answer within the timeout is a temporary failure', async () => {
  const hanging = createHttpServer(() => {});
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const { message, render } = sms('hei');
  const connector = createVonageConnector(vonageSettings(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}`), render, 200);
  try {
    await assert.rejects(connector.send(message), failure('temporary'));
  } finally {
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  }
});

test('Vonage: connection refused is temporary; 401 is permanent; 429 temporary', async () => {
  const { message, render } = sms('hei');
  await assert.rejects(createVonageConnector(vonageSettings(`http://127.0.0.1:${await freePort()}`), render).send(message), failure('temporary'));
  const vonage = await startFakeVonage();
  try {
    const connector = createVonageConnector(vonageSettings(vonage.url), render);
    vonage.replies.push(httpError(401));
    await assert.rejects(connector.send(message), (e: unknown) => failure('permanent')(e) && (e as Error).message === 'vonage http 401');
    vonage.replies.push(httpError(429));
    await assert.rejects(connector.send(message), failure('temporary'));
    vonage.replies.push({ status: 200, body: {} });
    await assert.rejects(connector.send(message), failure('temporary'), 'a 200 without a message status is no receipt');
  } finally {
    await vonage.close();
  }
});

test('SMS text outside the GSM alphabet is sent as unicode; æøå are GSM', async () => {
  assert.equal(isGsmText('Hei! Førstegangspassordet ditt er ÆØÅ-123 {ok} €'), true);
  assert.equal(isGsmText('Koden – gyldig'), false, 'an en dash is not GSM');
  assert.equal(isGsmText('Kode ✓'), false);
  const vonage = await startFakeVonage();
  try {
    const { message, render } = sms('Koden din – 123456');
    await createVonageConnector(vonageSettings(vonage.url), render).send(message);
    assert.equal(vonage.requests[0]!.body.type, 'unicode');
    assert.equal(vonage.requests[0]!.body.text, 'Koden din – 123456');
  } finally {
    await vonage.close();
  }
});

test('a recipient that is not a stored, normalised contact is refused before any network', async () => {
  const { render } = sms('hei');
  const connector = createVonageConnector(vonageSettings('http://127.0.0.1:1'), render);
  await assert.rejects(connector.send({ channel: 'sms', to: '+47 912 34 567', kind: 'k', language: 'nb', params: {} }), failure('permanent'));
  const smtp = createSmtpConnector({ url: 'smtp://127.0.0.1:1', from: 'noreply@hk.example', requireTls: false }, render);
  await assert.rejects(smtp.send({ channel: 'email', to: 'Kari <kari@example.org>', kind: 'k', language: 'nb', params: {} }), failure('permanent'));
  await assert.rejects(smtp.send({ channel: 'email', to: 'a@example.org, b@example.org', kind: 'k', language: 'nb', params: {} }), failure('permanent'));
  smtp.close();
});
