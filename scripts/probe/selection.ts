// Which kernels a map created now would use, and why: forced by
// TOPHASH_FORCE_MATCH / TOPHASH_FORCE_HASH, or the best this CPU supports.
import { cpu, hash, U64Map } from '../../src/index';

export const FORCE_VARS = { match: 'TOPHASH_FORCE_MATCH', hash: 'TOPHASH_FORCE_HASH' } as const;

/** Every environment variable the addon reads. */
export const TOPHASH_VARS = [
  'TOPHASH_FORCE_MATCH',
  'TOPHASH_FORCE_HASH',
  'TOPHASH_CPU_MASK',
  'TOPHASH_NATIVE',
] as const;

export interface Selection {
  /** The kernel `new U64Map()` uses now; null when the forced name is rejected. */
  kernel: string | null;
  /** Whether the env var named a kernel (an empty value counts as unset, as in the addon). */
  forced: boolean;
  /** "forced by TOPHASH_FORCE_MATCH" or "best supported". */
  reason: string;
  /** The env var that can force this kind. */
  env: string;
  /** Its value, when set. */
  envValue: string | null;
  /** What would be selected without the env var. */
  best: string | null;
  /** Why the forced name was rejected (new U64Map() throws this). */
  error?: string;
}

export interface Selections {
  match: Selection;
  hash: Selection;
}

/**
 * The addon's default choice, ignoring forcing. The native rule reads the
 * environment on every call, so unset the variables for a moment rather than
 * re-implementing the preference order here.
 */
function unforcedDefaults(): { match: string | null; hash: string | null } {
  const saved = Object.values(FORCE_VARS).map((name) => [name, process.env[name]] as const);
  try {
    for (const [name] of saved) delete process.env[name];
    return cpu().selected;
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

function errorMessage(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

export function selections(): Selections {
  const selected = cpu().selected;
  const best = unforcedDefaults();
  const one = (kind: 'match' | 'hash', error: () => string | undefined): Selection => {
    const env = FORCE_VARS[kind];
    const envValue = process.env[env] ?? null;
    const forced = envValue !== null && envValue !== '';
    const s: Selection = {
      kernel: selected[kind],
      forced,
      reason: forced ? `forced by ${env}` : 'best supported',
      env,
      envValue,
      best: best[kind],
    };
    if (s.kernel === null) s.error = error() ?? 'no kernel selected';
    return s;
  };
  return {
    // Reproduce the failure a user would see, with the other kind pinned so
    // that only this kind's forcing is exercised.
    match: one('match', () => errorMessage(() => new U64Map({ hash: (best.hash ?? 'fold') as never }).close())),
    hash: one('hash', () => errorMessage(() => hash(new Uint8Array(0)))),
  };
}
