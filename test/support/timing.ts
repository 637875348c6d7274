// Timing comparisons for the enumeration tests: cases are interleaved (so drift and noise hit them
// alike), the first rounds warm up, and the medians are compared against a stated threshold.

export async function medianTimings(cases: Record<string, () => Promise<unknown>>, options: { rounds: number; warmup: number }) {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < options.rounds + options.warmup; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const started = performance.now();
      await run();
      if (round >= options.warmup) samples[name]!.push(performance.now() - started);
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, Math.round(median(values) * 10) / 10]));
  const spread = Math.max(...Object.values(medians)) - Math.min(...Object.values(medians));
  return { medians, spread };
}
