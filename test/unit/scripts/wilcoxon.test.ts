// The signed-rank test of `npm run check:timing`, against values computed with
// scipy.stats.wilcoxon(d, method="approx") (zero_method="wilcox", no continuity correction).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { erfc, hodgesLehmann, median, wilcoxonSignedRank } from '../../../scripts/wilcoxon.ts';

const close = (actual: number, expected: number, relative = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${actual} is not ${expected}`);

test("Darwin's Zea mays differences (Fisher): W+ 96, W- 24, z 2.0447, p 0.040888", () => {
  const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
  const result = wilcoxonSignedRank(d);
  assert.equal(result.n, 15);
  assert.equal(result.wPlus, 96);
  assert.equal(result.wMinus, 24);
  close(result.z, 2.0446626032894333);
  close(result.p, 0.04088813291185591);
  assert.equal(hodgesLehmann(d), 25);
  // The sign follows the differences: the mirror image has the same p and the opposite z.
  const mirrored = wilcoxonSignedRank(d.map((x) => -x));
  close(mirrored.z, -2.0446626032894333);
  close(mirrored.p, result.p);
});

test('ties get average ranks with the variance correction; zero differences are dropped', () => {
  const result = wilcoxonSignedRank([1, 2, 2, -2, 3, 3, 3, -4, 5, 0, 6, -1.5, 7, 8, 8]);
  assert.equal(result.n, 14);
  assert.equal(result.wMinus, 15);
  close(result.z, 2.3593539819770903);
  close(result.p, 0.01830678381890827);
});

test('a clear shift over 40 pairs: p 9.654e-7', () => {
  const d = Array.from({ length: 40 }, (_, i) => 0.5 * i - 3);
  const result = wilcoxonSignedRank(d);
  assert.equal(result.wMinus, 39);
  close(result.p, 9.654056956700163e-7, 1e-5);
});

test('no difference at all: p 1; erfc and median are right', () => {
  assert.equal(wilcoxonSignedRank([0, 0, 0]).p, 1);
  assert.equal(wilcoxonSignedRank([]).p, 1);
  close(erfc(0), 1);
  close(erfc(1), 0.15729920705028513);
  close(erfc(-1), 1.8427007929497148);
  close(erfc(5), 1.5374597944280349e-12, 1e-6);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});
