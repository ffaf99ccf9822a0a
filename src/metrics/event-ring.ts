// The producer half of an offloaded aggregator's event ring: JavaScript
// writes (id, value) and, for u64 keys, the key straight into the ring's
// memory through typed-array views, and publishes each event by storing the
// new head. The native offload thread drains the ring in batches (see
// native/core/event_ring.h for the layout and protocol). Recording is three
// typed-array stores and a load of the closed flag; no native call.
import { closedError } from '../runtime/errors';
import { badValue, type AggHandle } from './staging';

// Word indexes into the ring's header (see event_ring.h).
const HEAD = 0; // byte 0
const TAIL = 16; // byte 64
const CLOSED = 32; // byte 128
const DROPPED = 17; // Float64 index: byte 136

/** What a full ring does: aggregate it here and now, or drop the event (counted). */
export type OnRingFull = 'flush' | 'drop';

/** The native ring as `ring()` returns it: memory, capacity and lane offsets. @internal */
export type NativeRing = [buffer: ArrayBuffer, capacity: number, ids: number, values: number, keys: number];

// A plain store publishes on x86-64: stores become visible in program order
// there (and V8 emits typed-array stores in program order). Elsewhere
// (arm64) a release is needed, which Atomics.store gives.
const PLAIN_PUBLISH = process.arch === 'x64' || process.arch === 'ia32';

export class ProducerRing {
  /** Events written, free-running (the header holds it mod 2^32). */
  head = 0;
  /** head may reach this before the consumer's tail has to be read again. */
  limit: number;
  readonly capacity: number;
  readonly mask: number;
  // wake() is called whenever head crosses a quarter of the ring.
  readonly wakeMask: number;
  readonly ctl: Uint32Array;
  readonly counters: Float64Array;
  readonly ids: Uint32Array;
  readonly values: Float64Array;
  /** u64 keys as little-endian (lo, hi) word pairs; empty for byte keys. */
  readonly keyWords: Uint32Array;

  constructor(
    ring: NativeRing,
    private readonly onFull: OnRingFull,
    /** Aggregates this ring's events now, on this thread (native sync()). */
    private readonly drainNow: () => void,
    readonly wake: () => void,
  ) {
    const [buffer, capacity, ids, values, keys] = ring;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.wakeMask = capacity / 4 - 1;
    this.limit = capacity;
    this.ctl = new Uint32Array(buffer, 0, 48);
    this.counters = new Float64Array(buffer, 0, 24);
    this.ids = new Uint32Array(buffer, ids, capacity);
    this.values = new Float64Array(buffer, values, capacity);
    this.keyWords = keys === 0 ? new Uint32Array(0) : new Uint32Array(buffer, keys, 2 * capacity);
  }

  get closed(): boolean {
    return this.ctl[CLOSED] !== 0;
  }

  /** Events written and not yet aggregated. */
  get waiting(): number {
    return ((this.head >>> 0) - this.ctl[TAIL]) >>> 0;
  }

  /** Events dropped by 'drop' so far. */
  get dropped(): number {
    return this.counters[DROPPED];
  }

  /**
   * head reached limit: reads the consumer's tail again, and when the ring is
   * really full, drains it here ('flush') or drops the event ('drop').
   * true when the event may be written.
   */
  makeRoom(): boolean {
    if (this.closed) throw closedError('Aggregator');
    let free = this.capacity - this.waiting;
    if (free === 0) {
      this.wake();
      if (this.onFull === 'drop') {
        this.counters[DROPPED] += 1;
        return false;
      }
      this.drainNow();
      free = this.capacity - this.waiting;
    }
    this.limit = this.head + free;
    return true;
  }

  /** Publishes the event just written at slot head. */
  publish(): void {
    const h = ++this.head;
    if (PLAIN_PUBLISH) this.ctl[HEAD] = h;
    else Atomics.store(this.ctl, HEAD, h);
    if ((h & this.wakeMask) === 0) this.wake();
  }
}

/**
 * A key resolved natively once, recording into an offloaded aggregator's ring. A class of its own
 * rather than a mode of the staging Handle, so each kind's record() stays monomorphic.
 */
export class RingHandle implements AggHandle {
  constructor(
    private readonly r: ProducerRing,
    readonly id: number,
  ) {}

  record(value: number): void {
    if (typeof value !== 'number' || value - value !== 0) throw badValue(value);
    const r = this.r;
    const ctl = r.ctl;
    if (ctl[CLOSED] !== 0) throw closedError('Aggregator');
    let h = r.head;
    if (h === r.limit) {
      if (!r.makeRoom()) return;
      h = r.head;
    }
    const slot = h & r.mask;
    r.ids[slot] = this.id;
    r.values[slot] = value;
    // publish(), written out: this is the hot path.
    r.head = ++h;
    if (PLAIN_PUBLISH) ctl[HEAD] = h;
    else Atomics.store(ctl, HEAD, h);
    if ((h & r.wakeMask) === 0) r.wake();
  }
}
