// Timing comparisons. `pairedTimings` measures two cases in pairs whose order is random, for the
// statistical check (`npm run check:timing`) and the coarse behavioural checks in `npm test`.

import { hodgesLehmann, median } from '../../scripts/wilcoxon.ts';

/** Spins for `ms` (no timer: a timer's lateness would add its own noise). */
export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * Times `a` and `b` in pairs, the order within each pair chosen at random, so drift, warm-up and
 * whatever the machine does at that moment hit both alike. Returns the durations of each pair (ms),
 * after `warmup` pairs that are not kept. `delayB` adds that many ms to every `b` (the self-check).
 */
export async function pairedTimings(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  options: { pairs: number; warmup: number; delayB?: number },
): Promise<{ a: number[]; b: number[] }> {
  const time = async (run: () => Promise<unknown>, delay = 0) => {
    const started = performance.now();
    if (delay) busyWait(delay);
    await run();
    return performance.now() - started;
  };
  const samples = { a: [] as number[], b: [] as number[] };
  const total = options.pairs + options.warmup;
  // Random, but balanced: exactly half the pairs start with a, so whatever favours the first (or
  // second) request of a pair cannot lean on one side by chance.
  const aFirst = Array.from({ length: total }, (_, i) => i % 2 === 0);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [aFirst[i], aFirst[j]] = [aFirst[j]!, aFirst[i]!];
  }
  for (let pair = 0; pair < total; pair++) {
    let ta: number;
    let tb: number;
    if (aFirst[pair]) {
      ta = await time(a);
      tb = await time(b, options.delayB);
    } else {
      tb = await time(b, options.delayB);
      ta = await time(a);
    }
    if (pair >= options.warmup) {
      samples.a.push(ta);
      samples.b.push(tb);
    }
  }
  return samples;
}

/**
 * The coarse check kept in `npm test`: `b` is grossly slower or quicker than `a` when the paired shift
 * (Hodges–Lehmann, robust to outliers) is more than `fraction` of `a`'s own median time. Relative, so
 * a busy machine slows both and changes nothing; a missing bcrypt comparison shows as about all of it.
 * Small differences are for `npm run check:timing`.
 */
export async function grossDifference(a: () => Promise<unknown>, b: () => Promise<unknown>, options: { pairs?: number; fraction?: number } = {}) {
  const samples = await pairedTimings(a, b, { pairs: options.pairs ?? 16, warmup: 2 });
  const shift = hodgesLehmann(samples.b.map((tb, i) => tb - samples.a[i]!));
  const reference = median(samples.a);
  return { gross: Math.abs(shift) > (options.fraction ?? 0.5) * reference, shift: Math.round(shift * 10) / 10, reference: Math.round(reference * 10) / 10 };
}
