// Delta temporality from cumulative readings: the producer keeps each series' previous reading
// and reports the difference. A series that did not change since has no point, as the SDK reports
// none for a series without measurements in the interval. Gauges are not additive and pass
// through.
import type { FamilyReading, Reading } from './readings';

/** A counter or histogram that went down was reset (removed and re-created, expired): it restarts. */
function wasReset(now: Reading, before: Reading): boolean {
  if (now.value < before.value) return true;
  if (now.buckets === undefined || before.buckets === undefined) return false;
  if (now.buckets.length !== before.buckets.length) return true;
  for (let i = 0; i < now.buckets.length; i++) if (now.buckets[i] < before.buckets[i]) return true;
  return false;
}

function difference(now: Reading, before: Reading): Reading {
  let buckets: number[] | undefined;
  if (now.buckets !== undefined && before.buckets !== undefined) {
    buckets = new Array<number>(now.buckets.length);
    for (let i = 0; i < buckets.length; i++) buckets[i] = now.buckets[i] - before.buckets[i];
  }
  // The extremes of the interval alone are not recoverable from two cumulative readings.
  return { ...now, value: now.value - before.value, sum: now.sum - before.sum, min: NaN, max: NaN, buckets };
}

export class DeltaState {
  // Source and family name → series key → the reading reported last. Series gone from a collect
  // are dropped.
  private previous = new Map<string, Map<string, Reading>>();

  /** The family's series as differences from the previous collect. */
  delta(source: string, family: FamilyReading): Reading[] {
    if (family.kind === 'gauge') return family.series;
    const id = source + '\0' + family.name;
    const before = this.previous.get(id);
    const now = new Map<string, Reading>();
    const out: Reading[] = [];
    for (const reading of family.series) {
      now.set(reading.key, reading);
      const last = before?.get(reading.key);
      if (last === undefined || wasReset(reading, last)) out.push(reading);
      // A count (or a counter's value) that stayed put: nothing was recorded.
      else if (reading.value !== last.value) out.push(difference(reading, last));
    }
    this.previous.set(id, now);
    return out;
  }
}
