// Bounded password hashing. A bcrypt hash takes a core for ~0.05–0.1 s on libuv's thread pool, which
// SQLite and DNS share. At most `size` hashes run at once (the cores); up to `maxQueue` more wait; a
// sign-in beyond that is refused at once (HashPoolBusy → the "busy, try again" page) instead of
// waiting in an unbounded queue while its browser times out.
import { HashPoolBusy } from '../errors.ts';
import type { PasswordHasher } from './passwords.ts';

/** For metrics: gauges (running, queued) and counters (done, shed, total wait). */
export type HashPoolStats = {
  size: number;
  maxQueue: number;
  running: number;
  queued: number;
  /** Hashes finished since start. */
  done: number;
  /** Sign-ins in progress that were admitted (see admit()). */
  admitted: number;
  /** Sign-ins and hashes refused because the pool was full. */
  shed: number;
  /** Sum of the time hashes waited for a slot, seconds (with `done` + `running`: the mean wait). */
  waitSecondsTotal: number;
};

export type HashPool = PasswordHasher & {
  /**
   * Admission of a request that will hash (a sign-in), before it does anything else: at most
   * size + maxQueue at once, so an admitted one always finds a slot or a place in the queue and a
   * refused one is turned away before its attempt is counted. Returns the release, or undefined (busy).
   */
  admit(): (() => void) | undefined;
  /** Seconds until a slot is likely free (Retry-After). */
  retryAfterSeconds(): number;
  stats(): HashPoolStats;
};

export type HashPoolOptions = {
  size: number;
  maxQueue: number;
  /** Each hash's wait for a slot, milliseconds (a histogram for metrics). */
  onWait?: (ms: number) => void;
  now?: () => number;
};

export function createHashPool(hasher: PasswordHasher, options: HashPoolOptions): HashPool {
  const { size, maxQueue } = options;
  const now = options.now ?? (() => performance.now());
  const waiting: (() => void)[] = [];
  let running = 0;
  let admitted = 0;
  let done = 0;
  let shed = 0;
  let waitMs = 0;
  // A moving average of one hash's duration, for an honest Retry-After.
  let hashMs = 100;

  const retryAfter = () => Math.max(1, Math.ceil(((waiting.length / size + 1) * hashMs) / 1000));

  async function slot<T>(work: () => Promise<T>): Promise<T> {
    const asked = now();
    if (running >= size) {
      if (waiting.length >= maxQueue) {
        shed++;
        throw new HashPoolBusy(retryAfter());
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    // `running` was taken over from the hash that handed this one its slot.
    const started = now();
    waitMs += started - asked;
    options.onWait?.(started - asked);
    try {
      return await work();
    } finally {
      hashMs = hashMs * 0.9 + (now() - started) * 0.1;
      done++;
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }

  return {
    hash: (password) => slot(() => hasher.hash(password)),
    verify: (password, stored) => slot(() => hasher.verify(password, stored)),
    admit() {
      if (admitted >= size + maxQueue) {
        shed++;
        return undefined;
      }
      admitted++;
      let released = false;
      return () => {
        if (!released) admitted--;
        released = true;
      };
    },
    retryAfterSeconds: retryAfter,
    stats: () => ({ size, maxQueue, running, queued: waiting.length, admitted, done, shed, waitSecondsTotal: waitMs / 1000 }),
  };
}
