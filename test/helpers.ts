// Shared by the suites: every (match, hash) kernel pair this CPU runs, and a
// JS oracle with U64Map's key semantics (5 and 5n are one key).
import { kernels, type HashKernelName, type MatchKernelName } from '../src/index';

export interface KernelPair {
  match: MatchKernelName;
  hash: HashKernelName;
}

export function supportedPairs(): KernelPair[] {
  const list = kernels().filter((k) => k.supported);
  const matches = list.filter((k) => k.kind === 'match').map((k) => k.name as MatchKernelName);
  const hashes = list.filter((k) => k.kind === 'hash').map((k) => k.name as HashKernelName);
  return matches.flatMap((match) => hashes.map((hash) => ({ match, hash })));
}

export const normKey = (k: number | bigint): bigint => BigInt(k);

/** How U64Map yields a key: a number below 2^53, a bigint from there on. */
export const outKey = (k: bigint): number | bigint => (k < 2n ** 53n ? Number(k) : k);
