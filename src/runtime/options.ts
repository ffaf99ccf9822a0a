// Option checks the JS-facing classes share: seeds, kernel names, and the
// constructor arguments of U64Map and StrMap.
import { rangeError, typeError } from './errors';
import { rejectUnknownOptions } from './option-names';

/** The constructor options U64Map and StrMap share, as they arrive: unchecked. */
interface MapOptionFields {
  capacity?: unknown;
  seed?: unknown;
  match?: unknown;
  hash?: unknown;
  hugePages?: unknown;
}

const MAP_OPTION_NAMES = ['capacity', 'seed', 'match', 'hash', 'hugePages'] as const;

/**
 * Validates the options U64Map and StrMap share and returns them in the
 * native constructors' argument order: capacity, seed, match, hash, (no
 * snapshot), hugePages.
 *
 * @internal
 */
export function nativeMapArgs(
  options: MapOptionFields,
): [number | undefined, bigint | undefined, string | undefined, string | undefined, undefined, boolean] {
  if (typeof options !== 'object' || options === null) throw typeError('an options object', 'options', options);
  rejectUnknownOptions(options, MAP_OPTION_NAMES, 'options');
  const { capacity } = options;
  if (capacity !== undefined) {
    if (typeof capacity !== 'number') throw typeError('a non-negative integer', 'options.capacity', capacity);
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw rangeError('a non-negative integer', 'options.capacity', capacity);
    }
  }
  const { hugePages } = options;
  if (hugePages !== undefined && typeof hugePages !== 'boolean') {
    throw typeError('a boolean', 'options.hugePages', hugePages);
  }
  return [
    capacity,
    parseSeed(options.seed),
    optionalString(options.match, 'options.match'),
    optionalString(options.hash, 'options.hash'),
    undefined,
    hugePages === true,
  ];
}

/** The options `U64Map.load` takes, as they arrive: unchecked. */
interface LoadOptionFields {
  match?: unknown;
  hash?: unknown;
}

/** The option names `U64Map.load` accepts. @internal */
export const LOAD_OPTION_NAMES = ['match', 'hash'] as const;

/**
 * Validates a snapshot path and the options of `load` and returns the native
 * constructor's arguments for loading: capacity and seed come from the file.
 *
 * @internal
 */
export function nativeLoadArgs(
  path: unknown,
  options: LoadOptionFields,
): [undefined, undefined, string | undefined, string | undefined, string] {
  if (typeof options !== 'object' || options === null) throw typeError('an options object', 'options', options);
  rejectUnknownOptions(options, LOAD_OPTION_NAMES, 'options');
  return [
    undefined,
    undefined,
    optionalString(options.match, 'options.match'),
    optionalString(options.hash, 'options.hash'),
    snapshotPath(path),
  ];
}

/** The options `U64Map.open` takes, as they arrive: unchecked. */
interface OpenOptionFields extends LoadOptionFields {
  readonly?: unknown;
  verify?: unknown;
}

const OPEN_OPTION_NAMES = ['readonly', 'verify', 'match', 'hash'] as const;

/** `U64Map.open`'s checked options: the native constructor's arguments and the two flags. @internal */
export interface OpenArgs {
  native: [string | undefined, string | undefined, string];
  readonly: boolean;
  verify: boolean;
}

function optionalBoolean(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw typeError('a boolean', what, value);
  return value;
}

/** Validates a snapshot path and the options of `U64Map.open`. @internal */
export function nativeOpenArgs(path: unknown, options: OpenOptionFields): OpenArgs {
  if (typeof options !== 'object' || options === null) throw typeError('an options object', 'options', options);
  rejectUnknownOptions(options, OPEN_OPTION_NAMES, 'options');
  const readonly = optionalBoolean(options.readonly, 'options.readonly');
  const verify = optionalBoolean(options.verify, 'options.verify');
  return {
    native: [
      optionalString(options.match, 'options.match'),
      optionalString(options.hash, 'options.hash'),
      snapshotPath(path),
    ],
    readonly,
    verify,
  };
}

/** A snapshot file path: a non-empty string without NUL characters. @internal */
export function snapshotPath(path: unknown): string {
  if (typeof path !== 'string') throw typeError('a file path (string)', 'path', path);
  if (path.length === 0 || path.includes('\0')) {
    throw rangeError('a non-empty file path without NUL characters', 'path', path);
  }
  return path;
}

export function parseSeed(seed: unknown): bigint | undefined {
  if (seed === undefined) return undefined;
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 2n ** 64n) throw rangeError('a bigint in [0, 2^64)', 'options.seed', seed);
    return seed;
  }
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw rangeError('an integer in [0, 2^53) or a bigint', 'options.seed', seed);
    }
    return BigInt(seed);
  }
  throw typeError('a number or bigint', 'options.seed', seed);
}

export function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw typeError('a kernel name (string)', what, value);
  return value;
}
