// What an Aggregator's snapshot holds of its options: the ones that shape
// its rows and keys (key spec, histogram, bound on the keys), as JSON in the
// file's options section (docs/FORMAT.md). The engine stores the text as
// is; the header repeats what the engine needs, and the load checks the two
// agree, so an edited options section is ERR_SNAPSHOT_CORRUPT, not a misread.
import { CodedError } from '../runtime/errors';
import type { HistSpec } from './histogram';

/** The options a snapshot records. @internal */
export interface SnapshotOptions {
  key: 'u64' | 'string' | { labels: string[] };
  hist?: HistSpec;
  maxEntries?: number;
  onFull?: 'drop' | 'lru';
  maxSeries?: number;
}

const RECORDED = ['key', 'hist', 'maxEntries', 'onFull', 'maxSeries'];

/** The options section's text for these options. @internal */
export function snapshotMeta(options: SnapshotOptions): string {
  return JSON.stringify(options);
}

/** The options a snapshot's options section holds; its damage is ERR_SNAPSHOT_CORRUPT naming the file. @internal */
export function parseSnapshotMeta(text: string, path: string): SnapshotOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.keys(parsed).every((k) => RECORDED.includes(k))
  ) {
    throw new CodedError(
      'ERR_SNAPSHOT_CORRUPT',
      `The snapshot's 'options' section is not an Aggregator's options ('${path}')`,
    );
  }
  return parsed as SnapshotOptions;
}

/**
 * Runs the constructor over options read from a file: an option it refuses means the file was
 * edited, so its TypeError or RangeError becomes ERR_SNAPSHOT_CORRUPT naming the file. @internal
 */
export function fromSnapshotOptions<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof CodedError) throw err;
    throw new CodedError(
      'ERR_SNAPSHOT_CORRUPT',
      `The snapshot's 'options' section holds options an Aggregator refuses (${(err as Error).message}) ('${path}')`,
    );
  }
}
