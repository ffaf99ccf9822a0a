// Error messages in one voice, sharp's: "Expected X for Y but received Z".

/** A short description of any value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'string':
      return `string '${value.length > 24 ? `${value.slice(0, 24)}...` : value}'`;
    case 'boolean':
      return String(value);
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      if (ArrayBuffer.isView(value)) {
        const name = value.constructor?.name ?? 'ArrayBufferView';
        return 'length' in value ? `${name}(${(value as unknown as { length: number }).length})` : name;
      }
      if (Array.isArray(value)) return `Array(${value.length})`;
      const ctor = value.constructor;
      return ctor && ctor.name && ctor !== Object ? `an instance of ${ctor.name}` : 'an object';
    }
  }
}

/**
 * The Node-style codes argument errors carry, as Node's own APIs use them: a value of the wrong
 * type is `ERR_INVALID_ARG_TYPE`; a number (or bigint) of the right type outside its domain is
 * `ERR_OUT_OF_RANGE`; any other unacceptable value (an unknown name, a length that does not
 * match, an unknown option) is `ERR_INVALID_ARG_VALUE`; a method called on something that is not
 * its class is `ERR_INVALID_THIS`.
 */
export type ArgumentErrorCode =
  'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE' | 'ERR_INVALID_THIS';

export function withCode<E extends Error>(err: E, code: ArgumentErrorCode): E & { code: ArgumentErrorCode } {
  // Own and enumerable, as on Node's errors, so it shows in logs and survives structured clone.
  return Object.assign(err, { code });
}

function expectedMessage(expected: string, what: string, received: unknown): string {
  return `Expected ${expected} for ${what} but received ${describe(received)}`;
}

export function typeError(expected: string, what: string, received: unknown): TypeError {
  return withCode(new TypeError(expectedMessage(expected, what, received)), 'ERR_INVALID_ARG_TYPE');
}

/** A value of the right type that is not acceptable: numbers out of their range, or any other value. */
export function rangeError(expected: string, what: string, received: unknown): RangeError {
  const numeric = typeof received === 'number' || typeof received === 'bigint';
  return withCode(
    new RangeError(expectedMessage(expected, what, received)),
    numeric ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_VALUE',
  );
}

/** A key longer than `limit` bytes: the message says how long it is, which the value alone does not. */
export function keyTooLong(limit: number, what: string, key: unknown, encodedBytes?: number): RangeError {
  const bytes = encodedBytes ?? (typeof key === 'string' ? Buffer.byteLength(key, 'utf8') : (key as Uint8Array).length);
  return withCode(
    new RangeError(
      `Expected a key of at most ${limit} bytes for ${what} but received a key of ${bytes} bytes (${describe(key)})`,
    ),
    'ERR_OUT_OF_RANGE',
  );
}

/** A method borrowed onto (or called with) a receiver that is not an instance of its class. */
export function thisError(className: string, received: unknown): TypeError {
  return withCode(new TypeError(expectedMessage(`a ${className}`, 'this', received)), 'ERR_INVALID_THIS');
}

/**
 * An Error with an eBPF-style `code` (ENOENT, EEXIST, E2BIG, ENOSPC, EINVAL, EBUSY, ...), or
 * `ERR_CLOSED` for a call on a closed map.
 *
 * @example
 * ```ts
 * try {
 *   m.get(1);
 * } catch (err) {
 *   if (err instanceof CodedError && err.code === 'ERR_CLOSED') reopen();
 * }
 * ```
 */
export class CodedError extends Error {
  /**
   * Creates an error carrying `code`.
   *
   * @param code - the machine-readable code, e.g. `'ERR_CLOSED'`
   * @param message - the human-readable message
   */
  constructor(
    /** The machine-readable code, e.g. `'ERR_CLOSED'`. */
    public readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'Error';
  }
}

/**
 * Makes `postMessage(target)` and `structuredClone(target)` fail with a `DataCloneError` saying
 * `message`. Structured clone copies an object's own enumerable properties and would deliver a
 * plain `{}`: the native state behind the class cannot cross threads, and silently losing it is
 * the worst outcome. Reading this one property throws, and the clone stops there.
 */
export function refuseStructuredClone(target: object, message: string): void {
  Object.defineProperty(target, 'notPostable', {
    enumerable: true,
    get() {
      throw new DOMException(message, 'DataCloneError');
    },
  });
}

export function closedError(className: string): CodedError {
  return new CodedError('ERR_CLOSED', `This ${className} is closed`);
}

/** A write on a map opened read-only from its snapshot (`U64Map.open(path, { readonly: true })`). */
export function readonlyError(className: string, method: string): CodedError {
  return new CodedError(
    'ERR_READONLY',
    `This ${className} was opened read-only from its snapshot, so ${method}() cannot change it; open it with { readonly: false } to get a private copy on the first write`,
  );
}

/**
 * Awaits a native promise and, if it rejects, gives the error the stack of
 * the call that started it: a rejection created when a pool job settles has
 * no JavaScript frames of its own, so without this its stack would not say
 * where the batch came from. A shared helper that calls this passes itself
 * as `above`, so that its frame is left out too and the stack starts at the
 * public method.
 */
export async function withCallerStack<T>(
  start: () => Promise<T>,
  above: (...args: never[]) => unknown = withCallerStack,
): Promise<T> {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, above);
  try {
    return await start();
  } catch (err) {
    if (err instanceof Error && site.stack !== undefined) {
      const callerFrames = site.stack.slice(site.stack.indexOf('\n') + 1);
      err.stack = `${err.name}: ${err.message}\n${callerFrames}`;
    }
    throw err;
  }
}
