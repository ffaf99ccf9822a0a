// saveAsync() of U64Map, StrMap and BpfMap, once each holds its native map.
import { withCallerStack } from './errors';
import { snapshotPath } from './options';

/** A native map that writes its snapshot on the libuv pool. @internal */
export interface NativeAsyncSaver {
  saveAsync(path: string): Promise<unknown>;
}

/**
 * `saveAsync(path)`: the path checked now, the file written on the libuv
 * pool; a rejection carries the stack of the public method's caller.
 * @internal
 */
export async function saveSnapshotAsync(native: NativeAsyncSaver, path: unknown): Promise<void> {
  const file = snapshotPath(path);
  await withCallerStack(() => native.saveAsync(file), saveSnapshotAsync);
}
