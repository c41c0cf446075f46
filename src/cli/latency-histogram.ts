/**
 * @module A latency histogram with bounded memory for `modelserve bench`: exact to the microsecond
 * below 2 ms, then 1 024 buckets per power of two (under 0.1 % relative error), so a long run at a
 * high rate never grows an array per request.
 */

const SUB = 1024;
const EXACT = 2 * SUB;
const MAX_US = 2 ** 31 - 1;
const BUCKETS = EXACT + 21 * SUB;

function bucketIndex(us: number): number {
  if (us < EXACT) return us;
  const shift = 31 - Math.clz32(us) - 10;
  return EXACT + (shift - 1) * SUB + ((us >>> shift) - SUB);
}

function bucketValue(index: number): number {
  if (index < EXACT) return index;
  const shift = Math.floor((index - EXACT) / SUB) + 1;
  const low = ((index - EXACT) % SUB) + SUB;
  // The middle of the bucket: half its width above its lower bound.
  return (low << shift) + (1 << (shift - 1));
}

/** Response times in milliseconds, summarised as percentiles. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  /** How many values were recorded. */
  count = 0;
  private maxUs = 0;
  private sumUs = 0;

  /** Records one response time in milliseconds. */
  record(ms: number): void {
    const us = Math.min(MAX_US, Math.max(0, Math.round(ms * 1000)));
    this.counts[bucketIndex(us)]++;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** The value at percentile `p` (0–100) in milliseconds; 0 when nothing was recorded. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const target = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= target) return Math.min(bucketValue(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  /** The largest value in milliseconds. */
  get max(): number {
    return this.maxUs / 1000;
  }

  /** The mean in milliseconds. */
  get mean(): number {
    return this.count === 0 ? 0 : this.sumUs / this.count / 1000;
  }
}
