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

export function typeError(expected: string, what: string, received: unknown): TypeError {
  return new TypeError(`Expected ${expected} for ${what} but received ${describe(received)}`);
}

export function rangeError(expected: string, what: string, received: unknown): RangeError {
  return new RangeError(`Expected ${expected} for ${what} but received ${describe(received)}`);
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

export function closedError(className: string): CodedError {
  return new CodedError('ERR_CLOSED', `This ${className} is closed`);
}

/**
 * Awaits a native promise and, if it rejects, gives the error the stack of
 * the call that started it: a rejection created when a pool job settles has
 * no JavaScript frames of its own, so without this its stack would not say
 * where the batch came from.
 */
export async function withCallerStack<T>(start: () => Promise<T>): Promise<T> {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, withCallerStack);
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
