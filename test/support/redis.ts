// Tests that need Redis use TEST_REDIS_URL (default the local one); without a Redis answering there
// they are skipped with the reason in the test output, so `npm test` passes on a machine without it
// (.ci/run starts one, so CI runs them).
import { connect } from 'node:net';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `false` when Redis answers PING at REDIS_URL, else the reason to skip ("no Redis at …"). */
export async function redisSkip(url = REDIS_URL): Promise<false | string> {
  const { hostname, port } = new URL(url);
  const answered = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
  return answered ? false : `no Redis at ${url}`;
}
