// Unknown option names are rejected, not ignored: `{ capasity: 10 }` would otherwise build a map
// sized by default and the typo would surface, if ever, as a performance mystery.
import { withCode } from './errors';

/** Edit distance (insertions, deletions, substitutions), case-insensitive: names are short. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

/** The known name closest to `name`, if one is close enough to be a likely typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Throws a RangeError (`ERR_INVALID_ARG_VALUE`) for the first own enumerable property of
 * `options` that is not in `known`, naming the closest known name.
 *
 * @internal
 */
export function rejectUnknownOptions(options: object, known: readonly string[], what: string): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const guess = closestName(name, known);
    const hint = guess === undefined ? '' : `; did you mean '${guess}'?`;
    throw withCode(
      new RangeError(
        `Expected one of ${known.map((k) => `'${k}'`).join(', ')} for an option name in ${what} but received '${name}'${hint}`,
      ),
      'ERR_INVALID_ARG_VALUE',
    );
  }
}
