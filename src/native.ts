// Finds and loads the compiled addon. Looks for the node-gyp build (Release,
// then Debug) and the cmake-js build in the package root; TOPHASH_NATIVE may
// name a specific .node file.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NativeU64Map {
  get(key: number | bigint): number | undefined;
  set(key: number | bigint, value: number): boolean;
  has(key: number | bigint): boolean;
  delete(key: number | bigint): boolean;
  clear(): void;
  size(): number;
  getBatch(keys: KeyArray, out: Float64Array, found?: Uint8Array): number;
  hasBatch(keys: KeyArray, out: Uint8Array): number;
  setBatch(keys: KeyArray, values: Float64Array): number;
  deleteBatch(keys: KeyArray): number;
  scan(cursor: number, atLeast: number): [BigUint64Array, Float64Array, number];
  stats(): MapStats;
  close(): void;
}

export type KeyArray = BigUint64Array | Float64Array | Uint32Array;

export interface MapStats {
  /** Entries in the map. */
  size: number;
  /** log2 of the bucket count. */
  B: number;
  buckets: number;
  overflowBuckets: number;
  /** Average entries per bucket (growth starts past 6.5). */
  loadFactor: number;
  /** Off-heap bytes the map holds (also reported to V8). */
  bytes: number;
  /** An incremental evacuation is in progress. */
  growing: boolean;
  /** Match kernel in use. */
  match: string;
  /** Hash kernel in use. */
  hash: string;
}

export interface KernelInfo {
  kind: 'match' | 'hash';
  name: string;
  supported: boolean;
  /** What a map created now without options would use. */
  active: boolean;
  /** CPU features the kernel needs, comma separated ('' for none). */
  needs: string;
}

export interface CpuInfo {
  arch: string;
  vendor: string;
  brand: string;
  features: Record<string, boolean>;
  selected: { match: string | null; hash: string | null };
}

export interface NativeAddon {
  U64Map: new (
    capacity: number | undefined,
    seed: bigint | undefined,
    match: string | undefined,
    hash: string | undefined,
  ) => NativeU64Map;
  kernels(): KernelInfo[];
  cpu(): CpuInfo;
  hashBytes(data: Uint8Array, seed?: bigint, kernel?: string): bigint;
  hashU64Batch(keys: BigUint64Array, out: BigUint64Array, seed?: bigint, kernel?: string): void;
  /** V8's total of external bytes reported by addons (for tests). */
  externalMemory(): number;
}

function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`tophash: could not find the package root above ${__dirname}`);
    dir = parent;
  }
}

function load(): NativeAddon {
  const explicit = process.env.TOPHASH_NATIVE;
  const root = packageRoot();
  const candidates = explicit
    ? [path.resolve(explicit)]
    : ['build/Release/tophash.node', 'build/Debug/tophash.node', 'build-cmake/Release/tophash.node'].map((p) =>
        path.join(root, p),
      );
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as NativeAddon;
    } catch (err) {
      throw new Error(
        `tophash: ${file} failed to load (${(err as Error).message}). ` +
          `It may be built for another Node version: run \`npm rebuild tophash\` (or \`npm run build\` in a clone).`,
      );
    }
  }
  throw new Error(
    `tophash: the native addon is not built (looked for ${candidates.join(', ')}). ` +
      'Run `npm rebuild tophash` (or `npm run build` in a clone); it needs python3, make and a C++17 compiler.',
  );
}

export const native: NativeAddon = load();
