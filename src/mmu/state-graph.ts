/**
 * Object graphs written to bytes and loaded back into a live graph: what a saved state (saved-state.ts)
 * holds of an MMU's registers and TLBs, a frame allocator, or a kernel's records.
 *
 * Saving walks the graph as a snapshot captured it ({@link StateView}: the values the captured objects
 * held then; an object no capture holds, frozen or made for the save, is read as it is now). Every
 * object gets an id on first sight, so shared objects and cycles come back as they were. Class
 * instances are written under a stable name from a registry (a minifier renames classes), typed
 * arrays as views of their buffer's bytes (views sharing a buffer share it again after a load), and
 * three kinds of object are not written at all:
 * - **externals**, the machine's parts (a physical memory, an MMU, a page-table format), by name;
 * - **fresh slots**, host objects that are not state (functions, weak maps, translation caches): the
 *   object loaded into keeps its own;
 * - **rebuilt** objects, immutable ones remade from a part (a parsed PE image from its file's bytes).
 *
 * Loading pairs the saved graph with the live one it is loaded into, by path from the roots: where the
 * live graph has an object of the same kind at the same place (the same class, a typed array of the
 * same type and length), that object is reused and its fields are set, so that whatever else holds it
 * (an MMU's hot-path views of its TLB arrays) sees the loaded state; elsewhere a new object is made
 * from the registered class's prototype. A class instance keeps fields the save did not write (the
 * attachments a capture skips); a plain object or array loses them.
 * @module
 */
import { ByteReader, ByteWriter } from './byte-codec.js';
import { SavedStateError } from './errors.js';
import { isTypedArray, keptByReference, type CapturedState, type TypedArray } from './object-state.js';

/** An immutable object remade on load from one part of it (a parsed PE image from its bytes). */
export interface Rebuilder {
  /** Its name in the saved state. */
  readonly name: string;
  /** Whether `value` is one of its objects. */
  matches(value: object): boolean;
  /** What is saved of it (an object or value of the graph). */
  part(value: object): unknown;
  /** The object, remade from its loaded part. */
  build(part: unknown): object;
}

/** @internal A class whose instances a saved state may hold (any constructor: its prototype makes them on load). */
export interface StateClass {
  readonly prototype: object;
}

/** @internal How a graph is saved and loaded: which classes it may hold and what is not state. */
export interface GraphCodec {
  /** The classes whose instances may be saved, under stable names. */
  readonly classes: ReadonlyMap<string, StateClass>;
  /** A name for an object of the machine (memory, MMU, format), or null when `value` is state. */
  externalName(value: object): string | null;
  /** On load: the object a name stands for, or undefined when the machine loaded into has none. */
  external(name: string): unknown;
  /** Host objects of the graph that are not state: the graph loaded into keeps its own. */
  keepFresh(value: object): boolean;
  /** Immutable objects remade on load. */
  readonly rebuilders: readonly Rebuilder[];
}

/**
 * @internal The values a graph held when its states were captured: captured objects read from the
 * capture, other objects (frozen, or made for the save) as they are.
 */
export class StateView {
  private readonly fields = new Map<object, Array<[string, unknown]>>();
  private readonly shapes = new Map<object, number>();
  private readonly bytes = new Map<TypedArray, Uint8Array>();
  private readonly collections = new Map<object, unknown[]>();

  /**
   * @param states - captures of the graph (each object in at most one).
   * @param skipFields - the field names the captures skipped, left out of live reads too.
   */
  constructor(
    states: readonly CapturedState[],
    private readonly skipFields: ReadonlySet<string>,
  ) {
    // An object two captures hold (a kernel snapshot's parts overlap) is read from the first: both hold the same values.
    const owner = new Map<object, CapturedState>();
    for (const state of states) {
      for (let i = 0; i < state.fields.length; i += 3) {
        const object = state.fields[i] as object;
        if ((owner.get(object) ?? state) !== state) continue;
        owner.set(object, state);
        let list = this.fields.get(object);
        if (list === undefined) this.fields.set(object, (list = []));
        list.push([state.fields[i + 1] as string, state.fields[i + 2]]);
      }
      for (const [object, keys] of state.shapes) this.shapes.set(object, keys.length);
      state.typed.forEach((array, k) => this.bytes.set(array, state.arrays[2 * k + 1]));
      for (const [collection, entries] of state.collections) this.collections.set(collection, entries);
    }
  }

  /** The fields of `object`, in their order. */
  entries(object: object): Array<[string, unknown]> {
    const captured = this.fields.get(object);
    if (captured !== undefined) return captured;
    if (this.shapes.has(object)) return [];
    const record = object as Record<string, unknown>;
    return Object.keys(record)
      .filter((key) => !this.skipFields.has(key))
      .map((key) => [key, record[key]]);
  }

  /** An array's length. */
  arrayLength(array: unknown[]): number {
    return this.shapes.get(array) ?? array.length;
  }

  /** A typed array's bytes. */
  bytesOf(array: TypedArray): Uint8Array {
    return this.bytes.get(array) ?? new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  }

  /** A map's entries or a set's values. */
  collection(collection: Map<unknown, unknown> | Set<unknown>): unknown[] {
    return this.collections.get(collection) ?? [...collection.entries()].map((entry) => (collection instanceof Map ? entry : entry[0]));
  }
}

// Object kinds and value tags of the encoding.
const PLAIN = 0;
const ARRAY = 1;
const CLASS = 2;
const MAP = 3;
const SET = 4;
const TYPED = 5;
const REBUILT = 6;
const FROZEN = 0x80;

const UNDEFINED = 0;
const NULL = 1;
const FALSE = 2;
const TRUE = 3;
const UINT = 4;
const NEGATIVE_INT = 5;
const FLOAT = 6;
const STRING = 7;
const BIGINT = 8;
const REF = 9;
const FRESH = 10;
const EXTERNAL = 11;

type TypedArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray;
const TYPED_ARRAYS: readonly TypedArrayConstructor[] = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];

const classNames = new WeakMap<GraphCodec, Map<unknown, string>>();
function classNameOf(codec: GraphCodec, object: object): string | undefined {
  let names = classNames.get(codec);
  if (names === undefined) {
    names = new Map([...codec.classes].map(([name, constructor]) => [constructor, name]));
    classNames.set(codec, names);
  }
  return names.get(Object.getPrototypeOf(object)?.constructor);
}

function isPlain(object: object): boolean {
  return Object.getPrototypeOf(object) === Object.prototype;
}

/**
 * @internal Writes the graph reached from `roots`, as `view` sees it. @throws {@link SavedStateError}
 * ('unsupported') on an object of a class the codec does not know.
 */
export function encodeGraph(out: ByteWriter, roots: readonly unknown[], view: StateView, codec: GraphCodec): void {
  const strings = new Map<string, number>();
  const ids = new Map<object, number>();
  const queue: object[] = [];
  const groups = new Map<ArrayBufferLike, { id: number; views: TypedArray[] }>();
  const body = new ByteWriter();

  const stringId = (value: string): number => {
    let id = strings.get(value);
    if (id === undefined) strings.set(value, (id = strings.size));
    return id;
  };
  const value = (v: unknown): void => {
    switch (typeof v) {
      case 'undefined':
        return body.u8(UNDEFINED);
      case 'boolean':
        return body.u8(v ? TRUE : FALSE);
      case 'number':
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
          body.u8(v >= 0 ? UINT : NEGATIVE_INT);
          return body.varuint(Math.abs(v));
        }
        body.u8(FLOAT);
        return body.f64(v);
      case 'string':
        body.u8(STRING);
        return body.varuint(stringId(v));
      case 'bigint':
        body.u8(BIGINT);
        return body.varuint(stringId(v.toString()));
      case 'symbol':
        throw new SavedStateError('unsupported', 'the state holds a symbol, which cannot be saved');
    }
    if (v === null) return body.u8(NULL);
    const object = v as object;
    const external = codec.externalName(object);
    if (external !== null) {
      body.u8(EXTERNAL);
      return body.varuint(stringId(external));
    }
    if (!isTypedArray(object) && !codec.rebuilders.some((r) => r.matches(object)) && (keptByReference(object, codec.keepFresh) || typeof v === 'function')) return body.u8(FRESH);
    let id = ids.get(object);
    if (id === undefined) {
      ids.set(object, (id = queue.length));
      queue.push(object);
    }
    body.u8(REF);
    body.varuint(id);
  };

  for (const root of roots) value(root); // the roots' values first, before the first object's record
  for (let next = 0; next < queue.length; next++) {
    const object = queue[next];
    const frozen = Object.isFrozen(object) ? FROZEN : 0;
    const rebuilder = codec.rebuilders.find((r) => r.matches(object));
    if (rebuilder !== undefined) {
      body.u8(REBUILT);
      body.varuint(stringId(rebuilder.name));
      value(rebuilder.part(object));
    } else if (isTypedArray(object)) {
      let group = groups.get(object.buffer);
      if (group === undefined) groups.set(object.buffer, (group = { id: groups.size, views: [] }));
      group.views.push(object);
      body.u8(TYPED);
      body.varuint(TYPED_ARRAYS.findIndex((constructor) => object instanceof constructor));
      body.varuint(group.id);
      body.varuint(object.byteOffset);
      body.varuint(object.length);
    } else if (object instanceof Map || object instanceof Set) {
      const entries = view.collection(object);
      body.u8(object instanceof Map ? MAP : SET);
      body.varuint(entries.length);
      for (const entry of entries) {
        if (object instanceof Map) {
          value((entry as [unknown, unknown])[0]);
          value((entry as [unknown, unknown])[1]);
        } else value(entry);
      }
    } else if (Array.isArray(object)) {
      const length = view.arrayLength(object);
      const entries = new Map(view.entries(object));
      body.u8(ARRAY | frozen);
      body.varuint(length);
      for (let i = 0; i < length; i++) value(entries.get(String(i)));
    } else {
      const entries = view.entries(object);
      if (isPlain(object)) body.u8(PLAIN | frozen);
      else {
        const name = classNameOf(codec, object);
        if (name === undefined) throw new SavedStateError('unsupported', `the state holds an object of class ${Object.getPrototypeOf(object)?.constructor?.name ?? '(none)'}, which the saved-state format does not know`);
        body.u8(CLASS | frozen);
        body.varuint(stringId(name));
      }
      body.varuint(entries.length);
      for (const [key, v] of entries) {
        body.varuint(stringId(key));
        value(v);
      }
    }
  }

  out.varuint(strings.size);
  for (const s of strings.keys()) out.string(s);
  out.varuint(roots.length);
  out.varuint(queue.length);
  out.bytes(body.finish());
  // Each buffer's bytes from its first view's start (aligned down to 8, so every view stays aligned) to its last view's end.
  out.varuint(groups.size);
  for (const { views } of groups.values()) {
    const start = Math.floor(Math.min(...views.map((v) => v.byteOffset)) / 8) * 8;
    const end = Math.max(...views.map((v) => v.byteOffset + v.byteLength));
    const bytes = new Uint8Array(end - start);
    bytes.set(new Uint8Array(views[0].buffer, start, end - start));
    for (const v of views) bytes.set(view.bytesOf(v), v.byteOffset - start);
    out.varuint(start);
    out.varuint(bytes.length);
    out.bytes(bytes);
  }
}

/** A reference to a saved object, while loading. */
class Ref {
  constructor(readonly id: number) {}
}
/** A name of the machine's, while loading. */
class External {
  constructor(readonly name: string) {}
}
const FRESH_SLOT = Object.freeze({});

type Token = unknown;

interface SavedObject {
  kind: number;
  frozen: boolean;
  /** CLASS: the class name; REBUILT: the rebuilder's name. */
  name?: string;
  /** Fields (PLAIN, CLASS), or [key, value] pairs (MAP), or values (ARRAY, SET), or [part] (REBUILT). */
  items: Token[];
  keys?: string[];
  typed?: { constructor: TypedArrayConstructor; group: number; byteOffset: number; length: number };
}

function corrupt(message: string): never {
  throw new SavedStateError('corrupt', `the saved state is corrupt: ${message}`);
}

/** @internal A graph {@link readGraph} read, not yet loaded anywhere. */
export interface SavedGraph {
  readonly roots: readonly Token[];
  readonly objects: readonly SavedObject[];
  readonly buffers: ReadonlyArray<{ start: number; buffer: ArrayBuffer }>;
}

/**
 * @internal Reads and checks a graph {@link encodeGraph} wrote, with `rootCount` roots, changing nothing.
 * @throws {@link SavedStateError} on a corrupt graph, an unknown class or rebuilder, or another number of roots.
 */
export function readGraph(input: ByteReader, rootCount: number, codec: GraphCodec): SavedGraph {
  const strings: string[] = [];
  for (let n = input.count(), i = 0; i < n; i++) strings.push(input.string());
  const stringAt = (index: number): string => (index < strings.length ? strings[index] : corrupt(`string ${index} of ${strings.length}`));
  const savedRoots = input.varuint();
  if (savedRoots !== rootCount) throw new SavedStateError('mismatch', `the saved state has ${savedRoots} roots where ${rootCount} were expected`);
  const count = input.count();
  const token = (): Token => {
    const tag = input.u8();
    switch (tag) {
      case UNDEFINED:
        return undefined;
      case NULL:
        return null;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case UINT:
        return input.varuint();
      case NEGATIVE_INT:
        return -input.varuint();
      case FLOAT:
        return input.f64();
      case STRING:
        return stringAt(input.varuint());
      case BIGINT: {
        const digits = stringAt(input.varuint());
        return /^-?\d+$/.test(digits) ? BigInt(digits) : corrupt(`a bigint ${JSON.stringify(digits.slice(0, 20))}`);
      }
      case REF: {
        const id = input.varuint();
        return id < count ? new Ref(id) : corrupt(`object ${id} of ${count}`);
      }
      case FRESH:
        return FRESH_SLOT;
      case EXTERNAL:
        return new External(stringAt(input.varuint()));
      default:
        return corrupt(`value tag ${tag} at offset ${input.offset - 1}`);
    }
  };
  const roots: Token[] = [];
  const saved: SavedObject[] = [];
  // The roots' values were written first, before the first object's record.
  for (let i = 0; i < rootCount; i++) roots.push(token());
  for (let id = 0; id < count; id++) {
    const head = input.u8();
    const kind = head & ~FROZEN;
    const object: SavedObject = { kind, frozen: (head & FROZEN) !== 0, items: [] };
    if (kind === PLAIN || kind === CLASS) {
      if (kind === CLASS) {
        object.name = stringAt(input.varuint());
        if (!codec.classes.has(object.name)) throw new SavedStateError('unsupported', `the saved state holds an object of class ${object.name}, which this mmukit does not know`);
      }
      object.keys = [];
      for (let n = input.count(2), i = 0; i < n; i++) {
        const key = stringAt(input.varuint());
        if (key === '__proto__') corrupt('a field named __proto__');
        object.keys.push(key);
        object.items.push(token());
      }
    } else if (kind === ARRAY || kind === SET) {
      for (let n = input.count(), i = 0; i < n; i++) object.items.push(token());
    } else if (kind === MAP) {
      for (let n = input.count(2), i = 0; i < n; i++) object.items.push(token(), token());
    } else if (kind === TYPED) {
      const type = input.varuint();
      if (type >= TYPED_ARRAYS.length) corrupt(`typed-array type ${type}`);
      object.typed = { constructor: TYPED_ARRAYS[type], group: input.varuint(), byteOffset: input.varuint(), length: input.varuint() };
    } else if (kind === REBUILT) {
      object.name = stringAt(input.varuint());
      if (!codec.rebuilders.some((r) => r.name === object.name)) throw new SavedStateError('unsupported', `the saved state holds a ${object.name}, which this mmukit does not know how to rebuild`);
      object.items.push(token());
    } else corrupt(`object kind ${kind} at offset ${input.offset - 1}`);
    saved.push(object);
  }
  const buffers: Array<{ start: number; buffer: ArrayBuffer }> = [];
  for (let n = input.count(), i = 0; i < n; i++) {
    const start = input.varuint();
    const bytes = input.bytesView(input.count());
    buffers.push({ start, buffer: bytes.slice().buffer });
  }
  // Every typed array must fit its buffer, aligned, before anything is loaded.
  for (const object of saved) {
    const typed = object.typed;
    if (typed === undefined) continue;
    const buffer = buffers[typed.group] ?? corrupt(`buffer ${typed.group} of ${buffers.length}`);
    const relative = typed.byteOffset - buffer.start;
    const size = (typed.constructor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    if (relative < 0 || relative % size !== 0 || relative + typed.length * size > buffer.buffer.byteLength) corrupt(`a typed array outside its buffer (offset ${typed.byteOffset}, ${typed.length} elements)`);
  }
  return { roots, objects: saved, buffers };
}

/**
 * @internal Loads a graph {@link readGraph} read into the live graph whose roots are `freshRoots` (see the module's
 * pairing rules). `check`: a dry run that pairs, makes what is new and checks everything a load checks (frozen
 * configuration, host objects and externals the live graph must have) but changes no live object, so that a load
 * into a live machine can be refused before it starts. @returns the loaded roots.
 * @throws {@link SavedStateError} when the live graph cannot take it (`'mismatch'`), or on values that do not fit
 *   (`'corrupt'`: only a blob whose checksum matched but that this mmukit did not write).
 */
export function applyGraph(graph: SavedGraph, freshRoots: readonly unknown[], codec: GraphCodec, check = false): unknown[] {
  try {
    return new GraphLoader(graph.objects, graph.buffers, codec, check).load(graph.roots, freshRoots);
  } catch (e) {
    // A blob whose checksum matched but whose values do not fit (a BigInt of a bad string, a key that is not a primitive…).
    if (e instanceof SavedStateError) throw e;
    throw new SavedStateError('corrupt', `the saved state is corrupt: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** @internal {@link readGraph} then {@link applyGraph}: for a live graph just made, which a failure leaves to be dropped. */
export function decodeGraph(input: ByteReader, freshRoots: readonly unknown[], codec: GraphCodec): unknown[] {
  return applyGraph(readGraph(input, freshRoots.length, codec), freshRoots, codec);
}

/** Materialises saved objects onto a live graph (decodeGraph's second half). */
class GraphLoader {
  private readonly loaded: Array<object | undefined>;
  private readonly reused: boolean[];
  private readonly claimed = new Set<object>();
  private readonly pending: number[] = [];

  constructor(
    private readonly saved: readonly SavedObject[],
    private readonly buffers: ReadonlyArray<{ start: number; buffer: ArrayBuffer }>,
    private readonly codec: GraphCodec,
    /** A dry run: live objects are paired and checked, never changed. */
    private readonly check: boolean,
  ) {
    this.loaded = new Array<object | undefined>(saved.length);
    this.reused = new Array<boolean>(saved.length).fill(false);
  }

  load(roots: readonly Token[], freshRoots: readonly unknown[]): unknown[] {
    this.checkExternals(roots);
    // Rebuilt objects first: they must exist, whole, before anything refers to them.
    this.saved.forEach((object, id) => {
      if (object.kind !== REBUILT) return;
      const part = this.resolve(object.items[0], undefined, `a ${object.name}`);
      this.drain();
      const rebuilder = this.codec.rebuilders.find((r) => r.name === object.name)!;
      try {
        this.loaded[id] = rebuilder.build(part);
      } catch (e) {
        throw new SavedStateError('corrupt', `the saved state is corrupt: its ${object.name} cannot be rebuilt (${e instanceof Error ? e.message : String(e)})`);
      }
    });
    const result = roots.map((root, i) => this.resolve(root, freshRoots[i], `root ${i}`));
    this.drain();
    return result;
  }

  /** Every external name the saved objects use must be one the live graph has. */
  private checkExternals(roots: readonly Token[]): void {
    const check = (token: Token): void => {
      if (token instanceof External && this.codec.external(token.name) === undefined) {
        throw new SavedStateError('mismatch', `the saved state refers to ${token.name}, which the machine loaded into does not have`);
      }
    };
    roots.forEach(check);
    for (const object of this.saved) object.items.forEach(check);
  }

  private drain(): void {
    while (this.pending.length > 0) this.fill(this.pending.pop()!);
  }

  private resolve(token: Token, fresh: unknown, where: string): unknown {
    if (token === null || typeof token !== 'object') return token;
    if (token === FRESH_SLOT) {
      if (fresh === undefined) throw new SavedStateError('mismatch', `the saved state keeps a host object at ${where}, and the machine loaded into has none there`);
      return fresh;
    }
    if (token instanceof External) return this.codec.external(token.name);
    return this.obtain((token as Ref).id, fresh);
  }

  /** The live object of saved object `id`: the fresh one when it is of the same kind and not taken, else a new one. */
  private obtain(id: number, fresh: unknown): object {
    const done = this.loaded[id];
    if (done !== undefined) return done;
    const object = this.saved[id];
    let live: object;
    if (fresh !== null && typeof fresh === 'object' && !this.claimed.has(fresh) && this.sameKind(object, fresh)) {
      live = fresh;
      this.claimed.add(fresh);
      this.reused[id] = true;
    } else live = this.make(object);
    this.loaded[id] = live;
    this.pending.push(id);
    return live;
  }

  private sameKind(object: SavedObject, fresh: object): boolean {
    switch (object.kind) {
      case PLAIN:
        return isPlain(fresh) && !Array.isArray(fresh);
      case ARRAY:
        return Array.isArray(fresh);
      case CLASS:
        return classNameOf(this.codec, fresh) === object.name;
      case MAP:
        return fresh instanceof Map;
      case SET:
        return fresh instanceof Set;
      case TYPED:
        return fresh instanceof object.typed!.constructor && (fresh as TypedArray).length === object.typed!.length;
      default:
        return false;
    }
  }

  private make(object: SavedObject): object {
    switch (object.kind) {
      case PLAIN:
        return {};
      case ARRAY:
        return [];
      case CLASS:
        return Object.create(this.codec.classes.get(object.name!)!.prototype) as object;
      case MAP:
        return new Map();
      case SET:
        return new Set();
      default: {
        const typed = object.typed!;
        const buffer = this.buffers[typed.group];
        return new typed.constructor(buffer.buffer, typed.byteOffset - buffer.start, typed.length);
      }
    }
  }

  /** Sets the fields (entries, bytes) of loaded object `id`. */
  private fill(id: number): void {
    const object = this.saved[id];
    const live = this.loaded[id]!;
    const reused = this.reused[id];
    const where = object.name ?? ['an object', 'an array', '', 'a map', 'a set', 'a typed array'][object.kind];
    const keep = reused && this.check; // a dry run reads the live object, never writes it
    switch (object.kind) {
      case TYPED:
        if (reused && !keep) {
          const typed = object.typed!;
          const buffer = this.buffers[typed.group];
          (live as TypedArray).set(new typed.constructor(buffer.buffer, typed.byteOffset - buffer.start, typed.length) as never);
        }
        return;
      case MAP: {
        const map = live as Map<unknown, unknown>;
        const before = reused ? new Map(map) : null;
        if (!keep) map.clear();
        for (let i = 0; i < object.items.length; i += 2) {
          const key = this.resolve(object.items[i], undefined, `a key of ${where}`);
          const fresh = before !== null && (key === null || typeof key !== 'object') ? before.get(key) : undefined;
          const value = this.resolve(object.items[i + 1], fresh, `an entry of ${where}`);
          if (!keep) map.set(key, value);
        }
        return;
      }
      case SET: {
        const set = live as Set<unknown>;
        if (!keep) set.clear();
        for (const item of object.items) {
          const value = this.resolve(item, undefined, `a value of ${where}`);
          if (!keep) set.add(value);
        }
        return;
      }
      case ARRAY: {
        const array = live as unknown[];
        const values = object.items.map((item, i) => this.resolve(item, reused ? array[i] : undefined, `${where}[${i}]`));
        if (object.frozen && reused) return this.requireSame(array, values, where);
        if (keep) return;
        array.length = values.length;
        values.forEach((value, i) => (array[i] = value));
        if (object.frozen) Object.freeze(array);
        return;
      }
      default: {
        const record = live as Record<string, unknown>;
        const keys = object.keys!;
        const values = object.items.map((item, i) => this.resolve(item, reused ? record[keys[i]] : undefined, `${where}.${keys[i]}`));
        if (object.frozen && reused) return this.requireSame(keys.map((key) => record[key]), values, where);
        if (keep) return;
        if (reused && object.kind === PLAIN) {
          const kept = new Set(keys);
          for (const key of Object.keys(record)) if (!kept.has(key)) delete record[key];
        }
        keys.forEach((key, i) => (record[key] = values[i]));
        if (object.frozen) Object.freeze(record);
      }
    }
  }

  /** A frozen object of the live graph must already hold what was saved: it cannot be changed. */
  private requireSame(now: readonly unknown[], saved: readonly unknown[], where: string): void {
    if (now.length !== saved.length || now.some((value, i) => !Object.is(value, saved[i]))) {
      throw new SavedStateError('mismatch', `the saved state holds a different ${where} (a configuration of the machine) than the machine loaded into`);
    }
  }
}
