/**
 * A copy of the state an object graph holds in its fields, and its restoration in place: what a
 * snapshot keeps of an {@link Mmu} (registers, TLBs, walk caches, counters) and of a
 * {@link FrameAllocator}. The MMU's state lives in typed arrays and number fields spread over a dozen
 * objects (TLB arrays, replacement state, walk caches, fault record, control state); copying them all,
 * whatever their class, keeps a snapshot complete when a field is added, where a hand-written list
 * would silently miss it.
 *
 * Rules: a typed array is copied, and restored into the same array (every holder of it sees the
 * restored values); every other field is restored to the value it held (a number, a string, a
 * reference): the objects the graph reaches are walked and restored in place, the same objects with
 * their fields set back. A frozen object's fields cannot change, but what they hold is restored. A map or
 * set gets its entries back (the same keys and values, walked as fields are). What is outside the graph
 * is kept by reference only: functions, errors, weak maps and sets (which cannot be listed: state must
 * not live in them), array buffers, data views, and the objects `opaque` names (physical memory). An
 * object met twice is walked once.
 *
 * The capture is flattened into two lists (arrays to copy back, fields to set back), so a restore is two
 * loops: about a microsecond per hundred fields, plus the copies.
 * @module
 */

/** @internal Every typed array kind. */
export type TypedArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** @internal The state of an object graph, made by {@link captureState}. */
export interface CapturedState {
  /**
   * Typed arrays (as byte views of their memory) and their copies, pairwise: `arrays[2k]` is restored from
   * `arrays[2k + 1]`. Bytes, whatever the array's type, so that the restore loop calls one `set`.
   */
  readonly arrays: Uint8Array[];
  /** The typed arrays themselves, `typed[k]` for the pair at `arrays[2k]` (what a saved state needs: their types). */
  readonly typed: TypedArray[];
  /** Fields to set back: `fields[3k][fields[3k + 1]] = fields[3k + 2]`. */
  readonly fields: unknown[];
  /** Plain objects and arrays with their own keys then: a key added since is removed. */
  readonly shapes: Array<[Record<string, unknown>, readonly string[]]>;
  /** Maps and sets with their entries then. */
  readonly collections: Array<[Map<unknown, unknown>, Array<[unknown, unknown]>] | [Set<unknown>, unknown[]]>;
}

/** @internal Options of {@link captureState}. */
export interface CaptureOptions {
  /** Objects kept by reference, neither walked nor restored. */
  readonly opaque?: (value: object) => boolean;
  /** Field names never captured nor restored: attachments rather than state (a fault handler, a tracer). */
  readonly skipFields?: ReadonlySet<string>;
  /**
   * Typed arrays already captured by another capture of the same graph, shared by the captures of its parts: one
   * met here is left to that capture, and one captured here is added. (Other objects a part reaches are captured
   * by each part that reaches them: restoring any of them puts the same values back.)
   */
  readonly sharedArrays?: Set<object>;
}

/** @internal Whether `value` is a typed array (a view other than a DataView). */
export function isTypedArray(value: object): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** @internal What a capture keeps by reference whatever the options: functions, errors, weak collections, buffers, and `opaque`. */
export function keptByReference(value: object, opaque: (value: object) => boolean): boolean {
  return (
    typeof value === 'function' ||
    value instanceof Error ||
    value instanceof WeakMap ||
    value instanceof WeakSet ||
    value instanceof ArrayBuffer ||
    value instanceof DataView ||
    (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer) ||
    opaque(value)
  );
}

/** Adds `array`'s bytes and a copy of them to the arrays to restore. */
function pushBytes(state: CapturedState, array: TypedArray): void {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  state.arrays.push(bytes, bytes.slice());
  state.typed.push(array);
}

/**
 * @internal Captures the state of `root` and everything its fields reach (see the module's rules).
 * Cost: a copy of every typed array reached, and a walk of the objects.
 */
export function captureState(root: object, options: CaptureOptions = {}): CapturedState {
  const opaque = options.opaque ?? (() => false);
  const skip = options.skipFields ?? new Set<string>();
  const state: CapturedState = { arrays: [], typed: [], fields: [], shapes: [], collections: [] };
  const seen = new Set<object>();
  const arraysSeen = options.sharedArrays ?? seen;
  const reach = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (isTypedArray(value)) {
      if (!arraysSeen.has(value)) {
        arraysSeen.add(value);
        pushBytes(state, value);
      }
    } else if (!keptByReference(value, opaque)) visit(value);
  };
  const visit = (object: object): void => {
    if (seen.has(object)) return;
    seen.add(object);
    if (object instanceof Map) {
      const entries = [...object.entries()];
      state.collections.push([object, entries]);
      for (const [key, value] of entries) {
        reach(key);
        reach(value);
      }
      return;
    }
    if (object instanceof Set) {
      const values = [...object.values()];
      state.collections.push([object, values]);
      for (const value of values) reach(value);
      return;
    }
    const record = object as Record<string, unknown>;
    const frozen = Object.isFrozen(object);
    const keys = Object.keys(record).filter((key) => !skip.has(key));
    if (!frozen && (Array.isArray(object) || Object.getPrototypeOf(object) === Object.prototype)) state.shapes.push([record, Object.keys(record)]);
    for (const key of keys) {
      const value = record[key];
      if (!frozen) state.fields.push(record, key, value);
      reach(value);
    }
  };
  if (isTypedArray(root)) pushBytes(state, root);
  else visit(root);
  return state;
}

/** @internal Puts the state `captured` back into the same objects it was taken from. */
export function restoreState(captured: CapturedState): void {
  const { arrays, fields, shapes, collections } = captured;
  for (let i = 0; i < arrays.length; i += 2) arrays[i].set(arrays[i + 1]);
  for (let i = 0; i < fields.length; i += 3) (fields[i] as Record<string, unknown>)[fields[i + 1] as string] = fields[i + 2];
  for (const [collection, entries] of collections) {
    collection.clear();
    if (collection instanceof Map) for (const [key, value] of entries as Array<[unknown, unknown]>) collection.set(key, value);
    else for (const value of entries as unknown[]) collection.add(value);
  }
  for (const [object, keys] of shapes) {
    if (Array.isArray(object)) {
      object.length = keys.length;
      continue;
    }
    const now = Object.keys(object);
    if (now.length === keys.length) continue;
    const kept = new Set(keys);
    for (const key of now) if (!kept.has(key)) delete object[key];
  }
}

/**
 * @internal Whether the objects `captured` was taken from still hold what it holds (their arrays' bytes, fields,
 * entries and keys): for checks, a restore's self-check that what it skipped did not change.
 */
export function stateUnchanged(captured: CapturedState, caches: ReadonlySet<string> = new Set()): boolean {
  const { arrays, typed, fields, shapes, collections } = captured;
  // What fields named in `caches` hold, and everything it reaches, may change on a question (a cache filled).
  const cached = new Set<unknown>();
  for (let grew = true; grew; ) {
    grew = false;
    const add = (value: unknown): void => {
      if (value !== null && typeof value === 'object' && !cached.has(value)) {
        cached.add(value);
        grew = true;
      }
    };
    for (let i = 0; i < fields.length; i += 3) if (caches.has(fields[i + 1] as string) || cached.has(fields[i])) add(fields[i + 2]);
    for (const [collection, entries] of collections) {
      if (!cached.has(collection)) continue;
      for (const entry of entries) {
        if (collection instanceof Map) (entry as [unknown, unknown]).forEach(add);
        else add(entry);
      }
    }
  }
  for (let i = 0; i < arrays.length; i += 2) {
    if (cached.has(typed[i / 2])) continue;
    const now = arrays[i];
    const then = arrays[i + 1];
    for (let j = 0; j < now.length; j++) if (now[j] !== then[j]) return false;
  }
  for (let i = 0; i < fields.length; i += 3) {
    if (caches.has(fields[i + 1] as string) || cached.has(fields[i])) continue;
    if (!Object.is((fields[i] as Record<string, unknown>)[fields[i + 1] as string], fields[i + 2])) return false;
  }
  for (const [collection, entries] of collections) {
    if (cached.has(collection)) continue;
    if (collection.size !== entries.length) return false;
    if (collection instanceof Map) {
      for (const [key, value] of entries as Array<[unknown, unknown]>) if (!collection.has(key) || !Object.is(collection.get(key), value)) return false;
    } else for (const value of entries as unknown[]) if (!collection.has(value)) return false;
  }
  for (const [object, keys] of shapes) if (!cached.has(object) && Object.keys(object).length !== keys.length) return false;
  return true;
}
