// Bad arguments at every public entry point of the hardware half (src/mmu): physical memory,
// the frame allocator, page-table formats and the builder, walkers and walk caches, faults, the
// MMU. Contract: InvalidArgumentError (or PhysicalAccessError for a physical address that reaches
// no device, OutOfFramesError when no frame is left), and nothing changes — checked against a
// full snapshot of memory, frames, page tables, MMU registers, counters and TLB contents.
//
// The MMU's access methods (read8 … fetch32) sit on the hot path and validate nothing: their
// contract is that an address that is not a canonical integer faults (PageFaultError, #GP
// NonCanonical) and reaches no memory. Non-number addresses are outside that contract: on a
// TLB hit JavaScript arithmetic coerces them (a bigint throws the host's TypeError), see the
// notes in the rows.
import { afterAll, describe } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  EPTP,
  EPT_ENTRY,
  EptAccessOrigin,
  EptNestedWalkResult,
  EptNestedWalker,
  EptWalkResult,
  EptWalker,
  FAULTED,
  FaultReason,
  FaultLoopError,
  FrameAllocator,
  GStageMode,
  InvalidArgumentError,
  Kernel,
  MachineSnapshots,
  SavedStateError,
  SecondStageTableBuilder,
  MmukitError,
  Mmu,
  NestedWalkStage,
  OutOfFramesError,
  PageFaultError,
  PageTableBuilder,
  PhysicalAccessError,
  PhysicalMemory,
  Pmp,
  PmpConfig,
  PmpMatch,
  SKYLAKE_TLB,
  Privilege,
  type TranslatedPrivilege,
  RiscvGStageWalker,
  RiscvTwoStageWalker,
  RiscvWalker,
  SV39,
  TranslationFault,
  TranslationStage,
  TwoStageWalkResult,
  WalkCache,
  WalkResult,
  X86Walker,
  X86_64,
  accessAllowed,
  accessName,
  buildPermissionTable,
  createWalker,
  decodeRiscvPte,
  decodeX86Pte,
  defaultControls,
  defaultVsControls,
  defaultWalkCacheConfig,
  encodeRiscvPte,
  encodeX86Pte,
  faultReasonName,
  formatByName,
  gStageAddressBits,
  gStageLevels,
  permRow,
  privilegeName,
  readPte,
  readRiscvPte,
  readX86Pte,
  resolveCycleModel,
  writePte,
  writeRiscvPte,
  writeX86Pte,
  type TableWalker,
  type VsControls,
} from '../../src/index.js';
import {
  BAD_COUNT,
  HUGE,
  INVALID_ARGUMENT,
  NEGATIVES,
  NON_INTEGERS,
  NOT_OBJECTS,
  WRONG_TYPES,
  bad,
  counter,
  coverageTest,
  noArguments,
  outside,
  returns,
  row,
  runTable,
  throws,
  unknownKey,
  type Row,
} from './harness.js';

import { TraceRecorder } from '../../src/mmu/trace-recorder.js';
import { toChromeTrace } from '../../src/mmu/chrome-trace.js';
import { publicEntryPoints } from './public-api.js';

const PAGE = 4096;
const ROM = 0x10_0000;
const MMIO = 0x20_0000;
const NOWHERE = 0x30_0000; // no RAM, ROM or MMIO
const VA = 0x40_0000; // mapped, user, writable
const PHYSICAL_FAULT = throws(PhysicalAccessError, 'PHYSICAL_UNMAPPED');
const ROM_FAULT = throws(PhysicalAccessError, 'PHYSICAL_ROM_WRITE');
const PAGE_FAULT = throws(PageFaultError, 'PAGE_FAULT');
const isString = (r: unknown) => typeof r === 'string';

/** Physical addresses that are not integers in [0, 2^53): bad numbers, negatives, huge values, wrong types. */
const BAD_PHYSICAL = [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined];
/**
 * Virtual addresses an x86-64 CPU could never issue. (2^47 is not among them: mmukit writes the
 * upper canonical half as 48-bit numbers, so 0xFFFF_8000_0000_0000 is 2^47.)
 */
const BAD_VIRTUAL_NUMBERS = [...NON_INTEGERS, ...NEGATIVES, ...HUGE, 2 ** 48, 2 ** 57, VA + 0.5];

/** A try-accessor's report turned back into the throw the table checks: the recorded fault, as a PageFaultError. */
function expectFaulted(c: Hw, faulted: boolean): never {
  if (!faulted) throw new Error('the try-accessor did not report a fault');
  throw new PageFaultError(c.mmu.lastFaultRecord!);
}

function hardware() {
  const memory = new PhysicalMemory({ size: 64 * PAGE });
  memory.mapRom(ROM, new Uint8Array(PAGE).fill(0xaa), { writes: 'fault', name: 'rom' });
  memory.mapMmio(MMIO, PAGE, { read: () => 0x55, write: () => undefined }, 'device');
  const frames = new FrameAllocator(memory, { reserved: 8 });
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  tables.map(VA, 5 * PAGE, { writable: true, user: true });
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setRoot(tables.root, 1);
  mmu.write32(VA, 0x1234_5678); // one translation cached
  const allocated = frames.allocate();
  const freed = frames.allocate();
  frames.release(freed);
  const walker = mmu.walker as TableWalker;
  const out = new WalkResult();
  return { memory, frames, tables, mmu, allocated, freed, walker, out };
}
type Hw = ReturnType<typeof hardware>;
const HW = { setup: hardware, state: (c: Hw) => ({ memory: c.memory, frames: c.frames, mmus: [c.mmu], builders: [c.tables] }) };
/** The hardware with snapshots: one taken, one written page since; the open snapshots and the saved pages are part of the state. */
function hardwareSnapshotted() {
  const c = hardware();
  const snapshots = new MachineSnapshots({ memory: c.memory, mmus: [c.mmu], frames: c.frames });
  const first = snapshots.take();
  c.mmu.write32(VA, 7);
  const foreign = hardware();
  const theirs = new MachineSnapshots({ memory: foreign.memory }).take();
  return { ...c, snapshots, first, theirs };
}
type HwSnap = ReturnType<typeof hardwareSnapshotted>;
const HW_SNAP = {
  setup: hardwareSnapshotted,
  state: (c: HwSnap) => ({ memory: c.memory, frames: c.frames, mmus: [c.mmu], builders: [c.tables], open: c.snapshots.snapshots.length, since: c.snapshots.pagesSince(c.first) }),
};
/** Values that are no open snapshot of the machine: not snapshots, another machine's, one dropped by a restore. */
const NOT_SNAPSHOTS = [null, undefined, {}, 5, 'snapshot', 'theirs'];
const snapshotArgument = (c: HwSnap, v: unknown) => (v === 'theirs' ? c.theirs : v) as never;

/** The hardware with a trace recorder attached to the MMU: the attachment, the tracks and the events are part of the state. */
function hardwareTraced() {
  const c = hardware();
  const recorder = new TraceRecorder({ capacity: 16 });
  c.mmu.setTracer(recorder, { thread: 'kept' });
  c.mmu.invalidateAll();
  c.mmu.read32(VA); // two events: a walk and a fill
  return { ...c, recorder };
}
type HwTraced = ReturnType<typeof hardwareTraced>;
const HW_TRACED = {
  setup: hardwareTraced,
  state: (c: HwTraced) => ({
    memory: c.memory,
    mmus: [c.mmu],
    extra: { attached: c.mmu.traceRecorder === c.recorder, tracks: c.recorder.tracks(), events: c.recorder.events().map(({ hostTime: _, ...e }) => e), recorded: c.recorder.recorded },
  }),
};
const TRACE_ROWS: Row<HwTraced>[] = [
  row('new TraceRecorder', HW_TRACED, [
    bad('options not an object, an unknown key, a capacity not an integer in [1, 2^24], or hostTime not a boolean', [null, 5, 'x', { capacity: 0 }, { capacity: -1 }, { capacity: 1.5 }, { capacity: 2 ** 24 + 1 }, { capacity: '16' }, { capacity: null }, { capasity: 4 }, { hostTime: 1 }, { hostTime: 'yes' }, { hostTime: null }], (_c: HwTraced, v) => new TraceRecorder(v as never), INVALID_ARGUMENT),
  ]),
  noArguments('TraceRecorder.clear', HW_TRACED),
  noArguments('TraceRecorder.tracks', HW_TRACED),
  noArguments('TraceRecorder.events', HW_TRACED),
  row('toChromeTrace', HW_TRACED, [
    bad('recorder not a TraceRecorder', [undefined, null, {}, 'trace', { events: () => [] }], (_c: HwTraced, v) => toChromeTrace(v as never), INVALID_ARGUMENT),
    bad('options not an object of known, valid options', [null, 1, { cyclesPerMicrosecond: 0 }, { cyclesPerMicrosecond: -3 }, { cyclesPerMicrosecond: NaN }, { cyclesPerMicrosecond: Infinity }, { cyclesPerMicrosecond: '3000' }, { clock: 'wall' }, { counters: 1 }, { flows: 'no' }, { cycles: 1 }], (c: HwTraced, v) => toChromeTrace(c.recorder, v as never), INVALID_ARGUMENT),
    bad("clock 'host' for a recorder that keeps no host time", [{ clock: 'host' }], (_c: HwTraced, v) => toChromeTrace(new TraceRecorder({ capacity: 1, hostTime: false }), v as never), INVALID_ARGUMENT),
  ]),
];
/** For accesses that fault: the fault is counted (cycles, fault and TLB-miss counters), but memory and TLB contents stay. */
const HW_FAULTING = { setup: hardware, state: (c: Hw) => ({ memory: c.memory, frames: c.frames, builders: [c.tables], tlbEntries: c.mmu.tlb.levels() }) };
/** For constructors and pure functions: nothing outside the call to snapshot. */
const NONE = { setup: () => ({}), state: () => ({}) };

function riscv() {
  const memory = new PhysicalMemory({ size: 32 * PAGE, base: 0x8000_0000 });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, SV39, frames);
  tables.map(0x1000, 0x8000_0000 + 10 * PAGE, { writable: true, user: true, accessed: true, dirty: true });
  const mmu = new Mmu({ memory, format: 'sv39' });
  mmu.setRoot(tables.root, 3);
  return { memory, frames, tables, mmu };
}
type Rv = ReturnType<typeof riscv>;
const RV = { setup: riscv, state: (c: Rv) => ({ memory: c.memory, frames: c.frames, mmus: [c.mmu], builders: [c.tables] }) };

/** A RISC-V hart with 16 PMP entries, entry 1 locked (NA4) and entry 3 a locked TOR above entry 2. */
function riscvPmp() {
  const memory = new PhysicalMemory({ size: 32 * PAGE, base: 0x8000_0000 });
  const mmu = new Mmu({ memory, format: 'sv39', pmpEntries: 16 });
  mmu.writePmpaddr(0, 0x2000_0000 | 0x3fff);
  mmu.writePmpcfg(0, PmpConfig.R | PmpConfig.W | PmpConfig.X | (PmpMatch.Napot << 3));
  mmu.writePmpaddr(1, 0x2000_1000);
  mmu.writePmpcfg(1, PmpConfig.L | PmpConfig.R | (PmpMatch.Na4 << 3));
  mmu.writePmpaddr(3, 0x2000_2000);
  mmu.writePmpcfg(3, PmpConfig.L | PmpConfig.R | (PmpMatch.Tor << 3));
  return { memory, mmu, pmp: new Pmp(16, 56) };
}
type RvPmp = ReturnType<typeof riscvPmp>;
const RV_PMP = { setup: riscvPmp, state: (c: RvPmp) => ({ memory: c.memory, mmus: [c.mmu] }) };
const NOT_INDICES = [...NON_INTEGERS, -1, 64, 2 ** 32, '0', null];

/**
 * An x86-64 guest under EPT, in one PhysicalMemory: a two-entry EPT (PML4 at 0x1000, one 1 GiB
 * EPT page mapping guest-physical [0, 1 GiB) to host-physical 0, EPT A/D off) and guest tables
 * built by a PageTableBuilder above it (their guest-physical addresses are their host ones).
 */
function eptGuest() {
  const memory = new PhysicalMemory({ size: 32 * PAGE });
  const frames = new FrameAllocator(memory, { reserved: 3 }); // frame 1: EPT PML4, frame 2: EPT PDPT
  memory.write64(PAGE, BigInt(2 * PAGE) | 7n); // EPT PML4E: the PDPT, RWX
  memory.write64(2 * PAGE, 7n | (6n << 3n) | BigInt(EPT_ENTRY.LargePage)); // EPT PDPTE: a 1 GiB page at 0, RWX, WB
  const tables = new PageTableBuilder(memory, 'x86-64', frames);
  tables.map(VA, 5 * PAGE, { writable: true, user: true });
  const eptp = PAGE | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack;
  const walker = new EptWalker(memory, { eptp });
  const controls = defaultControls();
  const nested = new EptNestedWalker(X86_64, memory, controls, walker);
  const out = new EptWalkResult();
  const nestedOut = new EptNestedWalkResult();
  nested.walk(VA + 8, Access.Write, Privilege.User, tables.root, nestedOut);
  if (!nestedOut.ok || nestedOut.hostAddress !== 5 * PAGE + 8) throw new Error('the EPT fixture does not translate');
  return { memory, frames, tables, eptp, walker, controls, nested, out, nestedOut };
}
type Ept = ReturnType<typeof eptGuest>;
const EPT_GUEST = {
  setup: eptGuest,
  state: (c: Ept) => ({ memory: c.memory, frames: c.frames, builders: [c.tables], extra: { eptp: c.walker.eptp, walkLength: c.walker.walkLength, root: c.walker.rootAddress, ad: c.walker.accessedDirtyEnabled } }),
};
/** A guest linear address x86-64 could never issue, in a nested walk: a guest #GP (NonCanonical), nothing read. */
const isNestedGp = (r: unknown) => r === `${NestedWalkStage.Guest}/${FaultReason.NonCanonical}/13`;

/** Start of RAM of the RISC-V hypervisor fixture. */
const HV_RAM = 0x8000_0000;
/**
 * A RISC-V hypervisor, Sv39 over Sv39x4, in one PhysicalMemory: the G-stage root at the start of
 * RAM (16 KiB) with one 1 GiB leaf mapping guest-physical [0, 1 GiB) to RAM, and the VS-stage root
 * at guest-physical 0x4000 with one 1 GiB leaf mapping guest-virtual [0, 1 GiB) to guest-physical 0.
 * `bare` has vsatp Bare (the GVA is the GPA); `g` is a G-stage walker alone.
 */
function hypervisor() {
  const memory = new PhysicalMemory({ size: 8 * PAGE, base: HV_RAM });
  const rwx = { valid: true, read: true, write: true, execute: true, accessed: true, dirty: true };
  writeRiscvPte(memory, HV_RAM, encodeRiscvPte({ ...rwx, user: true, address: HV_RAM }, SV39, 0), SV39);
  writeRiscvPte(memory, HV_RAM + 0x4000, encodeRiscvPte({ ...rwx, address: 0 }, SV39, 0), SV39);
  const controls = defaultControls();
  const vs: VsControls = defaultVsControls();
  const walker = new RiscvTwoStageWalker(memory, controls, vs);
  walker.setHgatp(GStageMode.Sv39x4, HV_RAM);
  walker.setVsatp(SV39, 0x4000);
  const bare = new RiscvTwoStageWalker(memory, controls, vs);
  bare.setHgatp(GStageMode.Sv39x4, HV_RAM);
  const g = new RiscvGStageWalker(memory, controls);
  g.setHgatp(GStageMode.Sv39x4, HV_RAM);
  const out = new TwoStageWalkResult();
  walker.walk(0x5008, Access.Write, Privilege.Supervisor, out);
  if (!out.ok || out.pageBase + (0x5008 % 2 ** out.pageShift) !== HV_RAM + 0x5008) throw new Error('the two-stage fixture does not translate');
  return { memory, controls, vs, walker, bare, g, out };
}
type Hv = ReturnType<typeof hypervisor>;
const HV = {
  setup: hypervisor,
  state: (c: Hv) => ({
    memory: c.memory,
    extra: [c.walker, c.bare].map((w) => ({ vsatp: w.vsatpFormat?.name ?? null, vsRoot: w.vsatpRoot, hgatp: w.gStage.mode, gRoot: w.gStage.root })).concat({ vsatp: null, vsRoot: 0, hgatp: c.g.mode, gRoot: c.g.root }),
  }),
};
/** `hgatp.MODE` values that are not a {@link GStageMode}: the reserved encodings and other types. */
const NOT_G_STAGE_MODES = [1, 7, 11, 15, -1, 8.5, NaN, '8', null, undefined, 8n];
/** A two-stage outcome as "stage/reason". */
const twoStageFault = (out: TwoStageWalkResult) => (out.ok ? 'ok' : `${out.faultStage}/${out.faultReason}`);



/** A RISC-V hypervisor's MMU: a guest (VMID 4) with G-stage tables and guest RAM, V=0; the HS-level walk state is the host's. */
function riscvHypervisor() {
  const memory = new PhysicalMemory({ size: 64 * PAGE, base: 0x8000_0000 });
  const frames = new FrameAllocator(memory);
  const g = new SecondStageTableBuilder(memory, 'sv39x4', frames);
  g.map(0x2000, 0x8000_0000 + 40 * PAGE);
  const mmu = new Mmu({ memory, format: 'sv39' });
  mmu.setHgatp(GStageMode.Sv39x4, g.root, 4);
  mmu.setGuestRoot(null, 0, 0);
  mmu.setSpvp(true);
  mmu.hlv(0x2000, 4); // one guest translation cached
  return { memory, frames, mmu };
}
type RvHv = ReturnType<typeof riscvHypervisor>;
const RV_HV = { setup: riscvHypervisor, state: (c: RvHv) => ({ memory: c.memory, frames: c.frames, mmus: [c.mmu] }) };
/** For hypervisor accesses that fault: counted, but memory and TLB contents stay. */
const RV_HV_FAULTING = { setup: riscvHypervisor, state: (c: RvHv) => ({ memory: c.memory, frames: c.frames, tlbEntries: c.mmu.tlb.levels(), virtualized: c.mmu.virtualized, privilege: c.mmu.privilege }) };

/** An x86 MMU with EPT loaded (VPID 3) over a guest with paging off, V=0. */
function x86Hypervisor() {
  const memory = new PhysicalMemory({ size: 64 * PAGE });
  const frames = new FrameAllocator(memory, { reserved: 8 });
  const ept = new SecondStageTableBuilder(memory, 'ept4', frames);
  ept.map(0x1000, 40 * PAGE);
  const mmu = new Mmu({ memory, format: 'x86-64' });
  mmu.setEptp(ept.eptp(), 3);
  mmu.setGuestRoot(null, 0, 0);
  return { memory, frames, mmu, ept };
}
type X86Hv = ReturnType<typeof x86Hypervisor>;
const X86_HV = { setup: x86Hypervisor, state: (c: X86Hv) => ({ memory: c.memory, frames: c.frames, mmus: [c.mmu] }) };
/** A second-stage table builder of each family, with one page mapped. */
function secondStage() {
  const memory = new PhysicalMemory({ size: 64 * PAGE, base: 0x8000_0000 });
  const frames = new FrameAllocator(memory);
  const g = new SecondStageTableBuilder(memory, 'sv39x4', frames);
  g.map(0x2000, 0x8000_0000 + 40 * PAGE);
  const ept = new SecondStageTableBuilder(memory, 'ept4', frames);
  ept.map(0x3000, 0x8000_0000 + 41 * PAGE);
  return { memory, frames, g, ept };
}
type Ss = ReturnType<typeof secondStage>;
const SS = { setup: secondStage, state: (c: Ss) => ({ memory: c.memory, frames: c.frames, extra: { g: c.g.tables(), ept: c.ept.tables() } }) };
const NOT_NULLABLE_ADDRESSES = [NaN, -1, 0.5, 2 ** 64, '0', undefined];

const TABLE: Row<any>[] = [
  // ------------------------------------------------------------------ PhysicalMemory
  row('new PhysicalMemory', NONE, [
    bad('options not an object', [...NOT_OBJECTS, undefined], (_, v) => new PhysicalMemory(v as never), INVALID_ARGUMENT),
    bad('size not a positive multiple of 4096', [...BAD_COUNT, 0, 4095, 4097, undefined], (_, v) => new PhysicalMemory({ size: v as number }), INVALID_ARGUMENT),
    bad('base not a multiple of 4096 or too high', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, '4096', {}, 0x800, 2 ** 53 - PAGE], (_, v) => new PhysicalMemory({ size: PAGE, base: v as number }), INVALID_ARGUMENT),
    bad('unknown unmapped policy', ['ignore', 1, true, {}], (_, v) => new PhysicalMemory({ size: PAGE, unmapped: v as never }), INVALID_ARGUMENT),
    bad('shared not a boolean', ['yes', 1, {}], (_, v) => new PhysicalMemory({ size: PAGE, shared: v as boolean }), INVALID_ARGUMENT),
    bad('buffer of the wrong size or kind', [new ArrayBuffer(2 * PAGE), new Uint8Array(PAGE), 'buffer', 42, {}], (_, v) => new PhysicalMemory({ size: PAGE, buffer: v as ArrayBuffer }), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (_) => new PhysicalMemory({ size: PAGE, sise: PAGE } as never), unknownKey(INVALID_ARGUMENT, 'sise', 'size')),
  ]),
  row('PhysicalMemory.mapRom', HW, [
    bad('base not an address', BAD_PHYSICAL, (c: Hw, v) => c.memory.mapRom(v as number, new Uint8Array(16)), INVALID_ARGUMENT),
    bad('base overlapping RAM, a ROM or an MMIO region, or ending past 2^53', [0, 63 * PAGE, ROM + 8, MMIO - 8, 2 ** 53 - 8], (c: Hw, v) => c.memory.mapRom(v as number, new Uint8Array(16)), INVALID_ARGUMENT),
    bad('data not a non-empty Uint8Array', [new Uint8Array(0), [1, 2], 'rom', null, undefined, new Uint16Array(4)], (c: Hw, v) => c.memory.mapRom(NOWHERE, v as Uint8Array), INVALID_ARGUMENT),
    bad('options not an object', [null, 5, 'fault'], (c: Hw, v) => c.memory.mapRom(NOWHERE, new Uint8Array(16), v as never), INVALID_ARGUMENT),
    bad('unknown write policy', ['drop', 1, true], (c: Hw, v) => c.memory.mapRom(NOWHERE, new Uint8Array(16), { writes: v as never }), INVALID_ARGUMENT),
    bad('name not a string', [5, {}], (c: Hw, v) => c.memory.mapRom(NOWHERE, new Uint8Array(16), { name: v as string }), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => c.memory.mapRom(NOWHERE, new Uint8Array(16), { write: 'fault' } as never), unknownKey(INVALID_ARGUMENT, 'write', 'writes')),
  ]),
  row('PhysicalMemory.mapMmio', HW, [
    bad('base not an address', BAD_PHYSICAL, (c: Hw, v) => c.memory.mapMmio(v as number, 16, { read: () => 0, write: () => undefined }), INVALID_ARGUMENT),
    bad('size not a positive integer', [...BAD_COUNT, 0, undefined], (c: Hw, v) => c.memory.mapMmio(NOWHERE, v as number, { read: () => 0, write: () => undefined }), INVALID_ARGUMENT),
    bad('overlapping, or past 2^53', [[0, 16], [ROM - 8, 16], [MMIO + 8, 1], [2 ** 53 - 8, 16]], (c: Hw, [base, size]: number[]) => c.memory.mapMmio(base, size, { read: () => 0, write: () => undefined }), INVALID_ARGUMENT),
    bad('device without read and write functions', [null, undefined, {}, { read: () => 0 }, { read: 1, write: 2 }, 'device'], (c: Hw, v) => c.memory.mapMmio(NOWHERE, 16, v as never), INVALID_ARGUMENT),
    bad('name not a string', [5, {}, null], (c: Hw, v) => c.memory.mapMmio(NOWHERE, 16, { read: () => 0, write: () => undefined }, v as string), INVALID_ARGUMENT),
  ]),
  noArguments('PhysicalMemory.regions', HW),
  row('PhysicalMemory.isRam', HW, [
    bad('address not an integer in RAM', [...BAD_PHYSICAL, ROM, 64 * PAGE], (c: Hw, v) => c.memory.isRam(v as number), returns('false', (r) => r === false)),
    bad('size negative, not an integer, or past RAM', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, 64 * PAGE + 1], (c: Hw, v) => c.memory.isRam(0, v as number), returns('false', (r) => r === false)),
  ]),
  row('PhysicalMemory.frameAddress', HW, [
    bad('frame not an integer frame number', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, 2 ** 41], (c: Hw, v) => c.memory.frameAddress(v as number), INVALID_ARGUMENT),
  ]),
  ...(['read8', 'read16', 'read32', 'read64'] as const).map((op) =>
    row(`PhysicalMemory.${op}`, HW, [
      bad('address not an integer in [0, 2^53)', BAD_PHYSICAL, (c: Hw, v) => c.memory[op](v as number), INVALID_ARGUMENT),
      bad('address reaching no device', [NOWHERE, 64 * PAGE, ROM + PAGE, MMIO - 1, 2 ** 53 - 2], (c: Hw, v) => c.memory[op](v as number), PHYSICAL_FAULT),
    ]),
  ),
  ...(['write8', 'write16', 'write32'] as const).map((op) =>
    row(`PhysicalMemory.${op}`, HW, [
      bad('address not an integer in [0, 2^53)', BAD_PHYSICAL, (c: Hw, v) => c.memory[op](v as number, 1), INVALID_ARGUMENT),
      bad('address reaching no device', [NOWHERE, 64 * PAGE, MMIO - 1, 2 ** 53 - 2], (c: Hw, v) => c.memory[op](v as number, 1), PHYSICAL_FAULT),
      bad('address in a faulting ROM', [ROM, ROM + PAGE - 1], (c: Hw, v) => c.memory[op](v as number, 1), ROM_FAULT),
      bad('value not a number', [...WRONG_TYPES.filter((v) => typeof v !== 'number'), undefined], (c: Hw, v) => c.memory[op](PAGE, v as number), INVALID_ARGUMENT),
    ], 'numbers are stored modulo 2^bits as typed arrays store them (NaN and ±Infinity as 0)'),
  ),
  row('PhysicalMemory.write64', HW, [
    bad('address not an integer in [0, 2^53)', BAD_PHYSICAL, (c: Hw, v) => c.memory.write64(v as number, 1n), INVALID_ARGUMENT),
    bad('address reaching no device or a faulting ROM', [NOWHERE, 64 * PAGE - 4, ROM], (c: Hw, v) => c.memory.write64(v as number, 1n), throws(PhysicalAccessError)),
    bad('value not a bigint', [1, NaN, '1', null, undefined, {}], (c: Hw, v) => c.memory.write64(PAGE, v as bigint), INVALID_ARGUMENT),
  ], 'bigints are stored modulo 2^64'),
  row('PhysicalMemory.readBytes', HW, [
    bad('address not an integer in [0, 2^53)', BAD_PHYSICAL, (c: Hw, v) => c.memory.readBytes(v as number, 4), INVALID_ARGUMENT),
    bad('length not a non-negative integer', [...BAD_COUNT, undefined], (c: Hw, v) => c.memory.readBytes(0, v as number), INVALID_ARGUMENT),
    bad('a range reaching no device', [[NOWHERE, 1], [64 * PAGE - 2, 4], [MMIO + PAGE - 1, 2]], (c: Hw, [a, n]: number[]) => c.memory.readBytes(a, n), PHYSICAL_FAULT),
    bad('a range past 2^53, or too long to return', [[2 ** 53 - 4, 8], [0, 2 ** 53 - 1], [ROM, 2 ** 40]], (c: Hw, [a, n]: number[]) => c.memory.readBytes(a, n), INVALID_ARGUMENT),
  ]),
  row('PhysicalMemory.writeBytes', HW, [
    bad('address not an integer in [0, 2^53)', BAD_PHYSICAL, (c: Hw, v) => c.memory.writeBytes(v as number, new Uint8Array(4)), INVALID_ARGUMENT),
    bad('data not a Uint8Array', [null, undefined, 'bytes', [1, 2, 3], { length: 2 }, new Uint16Array(2), 5], (c: Hw, v) => c.memory.writeBytes(0, v as Uint8Array), INVALID_ARGUMENT),
    bad('a range reaching no device or a faulting ROM (nothing written)', [NOWHERE, 64 * PAGE - 2, ROM - 2, MMIO + PAGE - 2], (c: Hw, v) => c.memory.writeBytes(v as number, new Uint8Array(4).fill(7)), throws(PhysicalAccessError)),
  ]),
  ...(['zeroFrame', 'ramFrameOffset'] as const).map((op) =>
    row(`PhysicalMemory.${op}`, HW, [
      bad('frame not a RAM frame number', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined, 64, ROM / PAGE], (c: Hw, v) => c.memory[op](v as number), INVALID_ARGUMENT),
    ]),
  ),
  row('PhysicalMemory.copyFrame', HW, [
    bad('from not a RAM frame number', [...NON_INTEGERS, -1, 64, '1', null], (c: Hw, v) => c.memory.copyFrame(v as number, 1), INVALID_ARGUMENT),
    bad('to not a RAM frame number', [...NON_INTEGERS, -1, 64, '1', null], (c: Hw, v) => c.memory.copyFrame(1, v as number), INVALID_ARGUMENT),
  ]),

  // ------------------------------------------------------------------ FrameAllocator
  row('new FrameAllocator', HW, [
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}, { frameCount: 4 }], (_, v) => new FrameAllocator(v as PhysicalMemory), INVALID_ARGUMENT),
    bad('options not an object', [null, 5, 'reserved'], (c: Hw, v) => new FrameAllocator(c.memory, v as never), INVALID_ARGUMENT),
    bad('reserved not an integer in [0, frameCount]', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, '1', {}, 65], (c: Hw, v) => new FrameAllocator(c.memory, { reserved: v as number }), INVALID_ARGUMENT),
    bad('limit not an integer in [0, totalCount]', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, '1', {}, 57], (c: Hw, v) => new FrameAllocator(c.memory, { reserved: 8, limit: v as number }), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => new FrameAllocator(c.memory, { reserve: 8 } as never), unknownKey(INVALID_ARGUMENT, 'reserve', 'reserved')),
  ]),
  row('set FrameAllocator.limit', HW, [
    bad('not an integer in [0, totalCount]', [...BAD_COUNT, undefined, 57], (c: Hw, v) => (c.frames.limit = v as number), INVALID_ARGUMENT),
  ]),
  // ------------------------------------------------------------------ MachineSnapshots
  row('new MachineSnapshots', HW, [
    bad('options not an object', [null, 5, 'memory', undefined], (_, v) => new MachineSnapshots(v as never), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (_, v) => new MachineSnapshots({ memory: v as PhysicalMemory }), INVALID_ARGUMENT),
    bad('mmus not an array of MMUs of that memory', [5, 'mmu', {}, [null], [{}], ['foreign']], (c: Hw, v) => new MachineSnapshots({ memory: c.memory, mmus: (v === 'foreign' || (Array.isArray(v) && v[0] === 'foreign') ? [new Mmu({ memory: new PhysicalMemory({ size: 16 * PAGE }), format: 'x86-64' })] : v) as never }), INVALID_ARGUMENT),
    bad('frames not the allocator of that memory', [null, 5, {}, 'foreign'], (c: Hw, v) => new MachineSnapshots({ memory: c.memory, frames: (v === 'foreign' ? new FrameAllocator(new PhysicalMemory({ size: 16 * PAGE })) : v) as never }), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => new MachineSnapshots({ memory: c.memory, mmu: [] } as never), unknownKey(INVALID_ARGUMENT, 'mmu', 'mmus')),
    bad('a second MachineSnapshots for the same memory', [0], (c: Hw) => {
      new MachineSnapshots({ memory: c.memory }); // the first takes no snapshot: nothing observable changes
      return new MachineSnapshots({ memory: c.memory });
    }, INVALID_ARGUMENT),
  ]),
  noArguments('MachineSnapshots.take', HW_SNAP, 'takes no arguments; test/mmu/machine-snapshots.test.ts'),
  ...(['restore', 'discard', 'pagesSince'] as const).map((op) =>
    row(`MachineSnapshots.${op}`, HW_SNAP, [
      bad('not an open snapshot of this machine', NOT_SNAPSHOTS, (c: HwSnap, v) => c.snapshots[op](snapshotArgument(c, v)), INVALID_ARGUMENT),
    ]),
  ),
  row('MachineSnapshots.save', HW_SNAP, [
    bad('not an open snapshot of this machine (undefined saves the current state)', NOT_SNAPSHOTS.filter((v) => v !== undefined), (c: HwSnap, v) => c.snapshots.save(snapshotArgument(c, v)), INVALID_ARGUMENT),
  ]),
  row('MachineSnapshots.load', HW_SNAP, [
    bad('not a saved state', [...NOT_OBJECTS, undefined, {}, [], new Uint8Array(0), new Uint8Array(64), 'MMUKIT'], (c: HwSnap, v) => c.snapshots.load(v as Uint8Array), throws(SavedStateError, 'SAVED_STATE')),
    bad('a damaged or truncated saved state', ['truncated', 'flipped', 'version'], (c: HwSnap, v) => {
      const bytes = c.snapshots.save();
      if (v === 'version') bytes[8] ^= 0xff;
      else if (v === 'flipped') bytes[bytes.length - 10] ^= 1;
      return c.snapshots.load(v === 'truncated' ? bytes.subarray(0, bytes.length >> 1) : bytes);
    }, throws(SavedStateError, 'SAVED_STATE')),
    bad('the saved state of another machine (other RAM size, MMU count) or of a kernel', ['ram', 'mmus', 'kernel'], (c: HwSnap, v) => {
      const memory = new PhysicalMemory({ size: v === 'ram' ? 32 * PAGE : c.memory.bytes.length });
      const mmus = v === 'mmus' ? [new Mmu({ memory, format: 'x86-64' }), new Mmu({ memory, format: 'x86-64' })] : [new Mmu({ memory, format: 'x86-64' })];
      const saved = v === 'kernel' ? new Kernel({ memorySize: 16 * PAGE }).saveState() : new MachineSnapshots({ memory, mmus, frames: new FrameAllocator(memory) }).save();
      return c.snapshots.load(saved);
    }, throws(SavedStateError, 'SAVED_STATE')),
  ]),
  noArguments('FrameAllocator.allocate', HW, 'takes no arguments; running out is test/robustness/exhaustion.test.ts'),
  noArguments('FrameAllocator.allocateForOverwrite', HW, 'takes no arguments; running out is test/robustness/exhaustion.test.ts'),
  row('FrameAllocator.allocateMany', HW, [
    bad('count not a non-negative integer', [...BAD_COUNT, undefined], (c: Hw, v) => c.frames.allocateMany(v as number), INVALID_ARGUMENT),
    bad('more frames than are free (all or none)', [55, 56, 1000], (c: Hw, v) => c.frames.allocateMany(v as number), throws(OutOfFramesError, 'OUT_OF_FRAMES')),
  ]),
  ...(['retain', 'release', 'refCount'] as const).map((op) =>
    row(`FrameAllocator.${op}`, HW, [
      bad('not a frame of the pool', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined, 0, 7, 64], (c: Hw, v) => c.frames[op](v as number), INVALID_ARGUMENT),
      ...(op === 'refCount' ? [] : [bad('a free frame', [0], (c: Hw) => c.frames[op](c.freed), INVALID_ARGUMENT)]),
    ]),
  ),
  row('FrameAllocator.isAllocated', HW, [
    bad('not an allocated frame of the pool', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined, 0, 64], (c: Hw, v) => c.frames.isAllocated(v as number), returns('false', (r) => r === false)),
  ]),

  // ------------------------------------------------------------------ errors
  ...(['MmukitError', 'InvalidArgumentError', 'OutOfFramesError', 'PhysicalAccessError', 'SavedStateError'] as const).map((name) =>
    row(`new ${name}`, NONE, [
      bad('any values: an error constructor never throws', [NaN, -1, 2 ** 64, null, undefined, {}, 5n, ''], (_, v) => {
        const make = { MmukitError: () => new MmukitError(v as never, v as string), InvalidArgumentError: () => new InvalidArgumentError(v as string), OutOfFramesError: () => new OutOfFramesError(v as number, v as number), PhysicalAccessError: () => new PhysicalAccessError(v as number, v as number, v as boolean, v as 'UNMAPPED'), SavedStateError: () => new SavedStateError(v as 'corrupt', v as string) }[name];
        return make();
      }, returns('an MmukitError', (r) => r instanceof MmukitError)),
    ]),
  ),
  row('MmukitError.toJSON', NONE, [
    bad('an error built of any values serializes (JSON never throws on it)', [NaN, -1, null, undefined, {}, ''], (_, v) => JSON.stringify(new MmukitError(v as never, v as string).toJSON()), returns('a JSON text', isString)),
  ], 'takes no arguments; the cases build the error from bad values'),
  ...(['PageFaultError', 'FaultLoopError'] as const).map((name) =>
    row(`new ${name}`, NONE, [
      bad('fault not a TranslationFault', [...NOT_OBJECTS, undefined, {}, { address: 1 }], (_, v) => (name === 'PageFaultError' ? new PageFaultError(v as TranslationFault) : new FaultLoopError(v as TranslationFault)), INVALID_ARGUMENT),
    ]),
  ),

  // ------------------------------------------------------------------ access kinds, permissions, controls
  row('accessName', NONE, [bad('not an Access value', [3, -1, NaN, 'read', null, undefined], (_, v) => accessName(v as Access), returns('a name string', isString))]),
  row('privilegeName', NONE, [bad('not a Privilege value', [3, -1, NaN, 'user', null, undefined], (_, v) => privilegeName(v as Privilege), returns('a name string', isString))]),
  row('permRow', NONE, [
    bad('privilege not a Privilege', [2, -1, 0.5, NaN, 'user', null], (_, v) => permRow(v as TranslatedPrivilege, Access.Read), INVALID_ARGUMENT),
    bad('access not an Access', [3, -1, 0.5, NaN, 'read', null], (_, v) => permRow(Privilege.User, v as Access), INVALID_ARGUMENT),
  ]),
  row('accessAllowed', NONE, [
    bad('architecture unknown', ['arm', '', null, 1], (_, v) => accessAllowed(v as 'x86', 0, Access.Read, Privilege.User, defaultControls()), INVALID_ARGUMENT),
    bad('perm not a permission class', [-1, 256, 0.5, NaN, '1', null], (_, v) => accessAllowed('x86', v as number, Access.Read, Privilege.User, defaultControls()), INVALID_ARGUMENT),
    bad('access not an Access', [3, -1, NaN, 'read', null], (_, v) => accessAllowed('riscv', 0, v as Access, Privilege.User, defaultControls()), INVALID_ARGUMENT),
    bad('privilege not a Privilege', [2, -1, NaN, 'user', null], (_, v) => accessAllowed('riscv', 0, Access.Read, v as TranslatedPrivilege, defaultControls()), INVALID_ARGUMENT),
    bad('controls not a control state', [...NOT_OBJECTS, undefined], (_, v) => accessAllowed('x86', 0x10, Access.Execute, Privilege.Supervisor, v as never), INVALID_ARGUMENT),
  ]),
  row('buildPermissionTable', NONE, [
    bad('architecture unknown', ['arm', null], (_, v) => buildPermissionTable(v as 'x86', defaultControls(), new Uint8Array(1024), true), INVALID_ARGUMENT),
    bad('controls not a control state', [...NOT_OBJECTS, undefined], (_, v) => buildPermissionTable('x86', v as never, new Uint8Array(1024), true), INVALID_ARGUMENT),
    bad('out not a Uint8Array large enough', [null, undefined, [], new Uint8Array(10), new Uint16Array(1024), 'table'], (_, v) => buildPermissionTable('x86', defaultControls(), v as Uint8Array, true), INVALID_ARGUMENT),
  ]),
  noArguments('defaultControls', NONE),
  row('resolveCycleModel', NONE, [
    bad('partial not an object', [null, 5, 'skylake'], (_, v) => resolveCycleModel(v as never), INVALID_ARGUMENT),
    bad('a latency that is not a finite number >= 0', [NaN, Infinity, -1, '3', null, 1n], (_, v) => resolveCycleModel({ l1Hit: v as number }), INVALID_ARGUMENT),
    bad('an unknown field', ['l3Hit', 'toString', '__proto__x'], (_, v) => resolveCycleModel({ [v as string]: 1 } as never), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (_) => resolveCycleModel({ pteRaed: 20 } as never), unknownKey(INVALID_ARGUMENT, 'pteRaed', 'pteRead')),
  ]),

  // ------------------------------------------------------------------ formats
  row('formatByName', NONE, [bad('unknown name', ['x86', 'X86-64', 'sv64', '', null, undefined, 64, {}, 'toString', '__proto__'], (_, v) => formatByName(v as never), INVALID_ARGUMENT)]),
  row('readPte', HW, [
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (_, v) => readPte(v as PhysicalMemory, 0, X86_64), INVALID_ARGUMENT),
    bad('address not an address', BAD_PHYSICAL, (c: Hw, v) => readPte(c.memory, v as number, X86_64), INVALID_ARGUMENT),
    bad('address reaching no device', [NOWHERE], (c: Hw, v) => readPte(c.memory, v as number, X86_64), PHYSICAL_FAULT),
    bad('format not a page-table format', [...NOT_OBJECTS, undefined, {}, 'x86-64'], (c: Hw, v) => readPte(c.memory, 0, v as never), INVALID_ARGUMENT),
  ]),
  row('writePte', HW, [
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (_, v) => writePte(v as PhysicalMemory, 0, 0n, X86_64), INVALID_ARGUMENT),
    bad('address not an address', BAD_PHYSICAL, (c: Hw, v) => writePte(c.memory, v as number, 0n, X86_64), INVALID_ARGUMENT),
    bad('value not a 64-bit unsigned bigint', [-1n, 2n ** 64n, 1, '1', null, undefined], (c: Hw, v) => writePte(c.memory, 0, v as bigint, X86_64), INVALID_ARGUMENT),
    bad('format not a page-table format', [...NOT_OBJECTS, undefined, {}], (c: Hw, v) => writePte(c.memory, 0, 0n, v as never), INVALID_ARGUMENT),
  ]),
  row('encodeX86Pte', NONE, [
    bad('fields not an object, or a field of the wrong type', [null, 5, { present: 1 }, { address: '4096' }, { address: 4097 }, { address: 2 ** 52 }, { available: -1 }, { available: 2 ** 11 }], (_, v) => encodeX86Pte(v as never, X86_64, 3), INVALID_ARGUMENT),
    bad('format not an x86 format', [...NOT_OBJECTS, undefined, {}, SV39], (_, v) => encodeX86Pte({}, v as never, 0), INVALID_ARGUMENT),
    bad('level not a level index', [-1, 4, 0.5, NaN, '0', null], (_, v) => encodeX86Pte({}, X86_64, v as number), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (_) => encodeX86Pte({ present: true, writeable: true } as never, X86_64, 3), unknownKey(INVALID_ARGUMENT, 'writeable', 'writable')),
  ]),
  row('decodeX86Pte', NONE, [
    bad('value not an entry', [-1n, 2n ** 64n, 1, '1', null, undefined], (_, v) => decodeX86Pte(v as bigint, X86_64, 3), INVALID_ARGUMENT),
    bad('format not an x86 format', [...NOT_OBJECTS, undefined, {}, SV39], (_, v) => decodeX86Pte(0n, v as never, 0), INVALID_ARGUMENT),
    bad('level not a level index', [-1, 4, 0.5, NaN, '0', null], (_, v) => decodeX86Pte(0n, X86_64, v as number), INVALID_ARGUMENT),
  ]),
  row('readX86Pte', HW, [
    bad('address not an address', BAD_PHYSICAL, (c: Hw, v) => readX86Pte(c.memory, v as number), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, {}], (_, v) => readX86Pte(v as PhysicalMemory, 0), INVALID_ARGUMENT),
    bad('format not an x86 format', [SV39, {}, 'x86-64', null], (c: Hw, v) => readX86Pte(c.memory, 0, v as never), INVALID_ARGUMENT),
  ]),
  row('writeX86Pte', HW, [
    bad('address not an address', BAD_PHYSICAL, (c: Hw, v) => writeX86Pte(c.memory, v as number, 0n), INVALID_ARGUMENT),
    bad('value not an entry', [-1n, 2n ** 64n, 1, null], (c: Hw, v) => writeX86Pte(c.memory, 0, v as bigint), INVALID_ARGUMENT),
    bad('format not an x86 format', [SV39, {}, null], (c: Hw, v) => writeX86Pte(c.memory, 0, 0n, v as never), INVALID_ARGUMENT),
  ]),
  row('encodeRiscvPte', NONE, [
    bad('fields not an object, or a bad field', [null, 5, { valid: 1 }, { rsw: 4 }, { pbmt: -1 }, { address: 4097 }, { address: 2 ** 56 }, { write: true }], (_, v) => encodeRiscvPte(v as never, SV39, 2), INVALID_ARGUMENT),
    bad('format not a RISC-V format', [...NOT_OBJECTS, undefined, {}, X86_64], (_, v) => encodeRiscvPte({}, v as never, 0), INVALID_ARGUMENT),
    bad('level not a level index', [-1, 3, 0.5, NaN, null], (_, v) => encodeRiscvPte({}, SV39, v as number), INVALID_ARGUMENT),
    bad('options not an object', [null, 5], (_, v) => encodeRiscvPte({}, SV39, 0, v as never), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (_) => encodeRiscvPte({ valid: true, excute: true } as never, SV39, 2), unknownKey(INVALID_ARGUMENT, 'excute', 'execute')),
    bad('an unknown option key (a typo): did you mean', [0], (_) => encodeRiscvPte({}, SV39, 0, { allowReserve: true } as never), unknownKey(INVALID_ARGUMENT, 'allowReserve', 'allowReserved')),
  ]),
  row('decodeRiscvPte', NONE, [
    bad('value not an entry', [-1n, 2n ** 64n, 1, null, undefined], (_, v) => decodeRiscvPte(v as bigint, SV39), INVALID_ARGUMENT),
    bad('format not a RISC-V format', [...NOT_OBJECTS, undefined, {}, X86_64], (_, v) => decodeRiscvPte(0n, v as never), INVALID_ARGUMENT),
  ]),
  row('readRiscvPte', RV, [
    bad('address not an address', BAD_PHYSICAL, (c: Rv, v) => readRiscvPte(c.memory, v as number, SV39), INVALID_ARGUMENT),
    bad('address reaching no device', [0, 0x7fff_fff8], (c: Rv, v) => readRiscvPte(c.memory, v as number, SV39), PHYSICAL_FAULT),
    bad('format not a RISC-V format', [X86_64, {}, null, undefined], (c: Rv, v) => readRiscvPte(c.memory, 0x8000_0000, v as never), INVALID_ARGUMENT),
  ]),
  row('writeRiscvPte', RV, [
    bad('address not an address', BAD_PHYSICAL, (c: Rv, v) => writeRiscvPte(c.memory, v as number, 0n, SV39), INVALID_ARGUMENT),
    bad('value not an entry', [-1n, 2n ** 64n, 1, null], (c: Rv, v) => writeRiscvPte(c.memory, 0x8000_0000, v as bigint, SV39), INVALID_ARGUMENT),
    bad('format not a RISC-V format', [X86_64, {}, null], (c: Rv, v) => writeRiscvPte(c.memory, 0x8000_0000, 0n, v as never), INVALID_ARGUMENT),
  ]),

  // ------------------------------------------------------------------ PageTableBuilder
  row('new PageTableBuilder', HW, [
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (c: Hw, v) => new PageTableBuilder(v as PhysicalMemory, 'x86-64', c.frames), INVALID_ARGUMENT),
    bad('unknown format', ['x86', null, undefined, 5, {}], (c: Hw, v) => new PageTableBuilder(c.memory, v as never, c.frames), INVALID_ARGUMENT),
    bad('frames not a FrameAllocator', [...NOT_OBJECTS, undefined, {}], (c: Hw, v) => new PageTableBuilder(c.memory, 'x86-64', v as FrameAllocator), INVALID_ARGUMENT),
    bad('a FrameAllocator of other memory', [0], (c: Hw) => new PageTableBuilder(new PhysicalMemory({ size: PAGE }), 'x86-64', c.frames), INVALID_ARGUMENT),
  ]),
  ...(['map', 'mapPage'] as const).map((op) =>
    row(`PageTableBuilder.${op}`, HW, [
      bad('va not an address of the format', [...BAD_VIRTUAL_NUMBERS, ...WRONG_TYPES, undefined, VA + 8], (c: Hw, v) => c.tables[op](v as number, 6 * PAGE, {}), INVALID_ARGUMENT),
      bad('pa not a page-aligned physical address', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, ...WRONG_TYPES, undefined, PAGE + 8, 2 ** 52], (c: Hw, v) => c.tables[op](VA + PAGE, v as number, {}), INVALID_ARGUMENT),
      bad('attributes not an object, or a bad attribute', [null, 5, { pageShift: 13 }, { pageShift: 21 }, { readable: false }, { software: 4096 }, { software: -1 }], (c: Hw, v) => c.tables[op](VA + PAGE, 6 * PAGE, v as never), INVALID_ARGUMENT),
      bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => c.tables[op](VA + PAGE, 6 * PAGE, { writeable: true, user: true } as never), unknownKey(INVALID_ARGUMENT, 'writeable', 'writable')),
      bad('a larger page already maps va', [0], (c: Hw) => {
        c.tables.map(0x4000_0000, 0x4000_0000, { pageShift: 30 });
        try {
          return c.tables[op](0x4000_1000, 6 * PAGE, {});
        } finally {
          c.tables.unmap(0x4000_0000);
        }
      }, INVALID_ARGUMENT),
    ]),
  ),
  ...(['unmap', 'unmapPage', 'lookup'] as const).map((op) =>
    row(`PageTableBuilder.${op}`, HW, [
      bad('va not a page-aligned address of the format', [...BAD_VIRTUAL_NUMBERS, ...WRONG_TYPES, undefined, VA + 8], (c: Hw, v) => c.tables[op](v as number), INVALID_ARGUMENT),
    ]),
  ),
  noArguments('PageTableBuilder.tables', HW),

  // ------------------------------------------------------------------ walkers, walk caches
  noArguments('WalkResult.reset', NONE),
  row('createWalker', HW, [
    bad('format not a page-table format', [...NOT_OBJECTS, undefined, {}, 'x86-64'], (c: Hw, v) => createWalker(v as never, c.memory, defaultControls()), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (_, v) => createWalker(X86_64, v as PhysicalMemory, defaultControls()), INVALID_ARGUMENT),
    bad('controls not a control state', [...NOT_OBJECTS, undefined], (c: Hw, v) => createWalker(X86_64, c.memory, v as never), INVALID_ARGUMENT),
    bad('options not an object, or options of the other architecture', [null, 5, { svpbmt: true }, { maxPhysicalAddressBits: 70 }, { maxPhysicalAddressBits: 0.5 }, { walkCache: 5 }], (c: Hw, v) => createWalker(X86_64, c.memory, defaultControls(), v as never), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => createWalker(X86_64, c.memory, defaultControls(), { walkcache: null } as never), unknownKey(INVALID_ARGUMENT, 'walkcache', 'walkCache')),
  ]),
  row('new X86Walker', HW, [
    bad('format not an x86 format', [...NOT_OBJECTS, undefined, {}, SV39], (c: Hw, v) => new X86Walker(v as never, c.memory, defaultControls()), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined], (_, v) => new X86Walker(X86_64, v as PhysicalMemory, defaultControls()), INVALID_ARGUMENT),
    bad('controls not a control state', [...NOT_OBJECTS, undefined], (c: Hw, v) => new X86Walker(X86_64, c.memory, v as never), INVALID_ARGUMENT),
    bad('options not an object', [null, 5], (c: Hw, v) => new X86Walker(X86_64, c.memory, defaultControls(), v as never), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => new X86Walker(X86_64, c.memory, defaultControls(), { maxPhysAddrBits: 46 } as never), unknownKey(INVALID_ARGUMENT, 'maxPhysAddrBits', 'maxPhysicalAddressBits')),
  ]),
  row('new RiscvWalker', RV, [
    bad('format not a RISC-V format', [...NOT_OBJECTS, undefined, {}, X86_64], (c: Rv, v) => new RiscvWalker(v as never, c.memory, defaultControls()), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined], (_, v) => new RiscvWalker(SV39, v as PhysicalMemory, defaultControls()), INVALID_ARGUMENT),
    bad('controls not a control state', [...NOT_OBJECTS, undefined], (c: Rv, v) => new RiscvWalker(SV39, c.memory, v as never), INVALID_ARGUMENT),
    bad('options not an object', [null, 5], (c: Rv, v) => new RiscvWalker(SV39, c.memory, defaultControls(), v as never), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Rv) => new RiscvWalker(SV39, c.memory, defaultControls(), { svpmbt: true } as never), unknownKey(INVALID_ARGUMENT, 'svpmbt', 'svpbmt')),
  ]),
  row('TableWalker.walk', HW, [
    bad('va not a canonical address: a NonCanonical outcome, never a throw', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => {
      c.walker.walk(v as number, Access.Read, Privilege.User, c.tables.root, 1, c.out);
      return c.out.ok ? 'ok' : c.out.faultReason;
    }, returns('a fault outcome (NonCanonical)', (r) => r === 7)),
    bad('access not an Access', [3, -1, NaN, 'read', null], (c: Hw, v) => c.walker.walk(VA, v as Access, Privilege.User, c.tables.root, 1, c.out), INVALID_ARGUMENT),
    bad('privilege not a Privilege', [2, -1, NaN, 'user', null], (c: Hw, v) => c.walker.walk(VA, Access.Read, v as TranslatedPrivilege, c.tables.root, 1, c.out), INVALID_ARGUMENT),
    bad('root not a physical address', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, '0', null], (c: Hw, v) => c.walker.walk(VA, Access.Read, Privilege.User, v as number, 1, c.out), INVALID_ARGUMENT),
    bad('asid not an ASID', [-1, 2 ** 31, 0.5, NaN, '1', null], (c: Hw, v) => c.walker.walk(VA, Access.Read, Privilege.User, c.tables.root, v as number, c.out), INVALID_ARGUMENT),
  ], 'a walk with a bad va reports NonCanonical in `out`, as the interface documents ("never throws for guest-controlled data"); `out` is not checked (the miss path: an instanceof costs a tenth of a walk)'),
  row('TableWalker.invalidateWalkCache', HW, [
    bad('va neither null nor an address', [NaN, -1, 0.5, '0', undefined, {}], (c: Hw, v) => c.walker.invalidateWalkCache(v as number, null), INVALID_ARGUMENT),
    bad('asid neither null nor an ASID', [NaN, -1, 0.5, '0', undefined, {}, 2 ** 31], (c: Hw, v) => c.walker.invalidateWalkCache(null, v as number), INVALID_ARGUMENT),
  ]),
  row('new WalkCache', NONE, [
    bad('format not a page-table format', [...NOT_OBJECTS, undefined, {}], (_, v) => new WalkCache(v as never, { levels: [] }), INVALID_ARGUMENT),
    bad('config not an object with levels', [null, 5, {}, { levels: 5 }, { levels: [null] }], (_, v) => new WalkCache(X86_64, v as never), INVALID_ARGUMENT),
    bad('a level that is not a non-leaf level, or repeats', [[{ level: 3, entries: 4, ways: 4 }], [{ level: -1, entries: 4, ways: 4 }], [{ level: 0, entries: 4, ways: 4 }, { level: 0, entries: 4, ways: 4 }]], (_, v) => new WalkCache(X86_64, { levels: v as never }), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (_) => new WalkCache(X86_64, { levels: [], level: 2 } as never), unknownKey(INVALID_ARGUMENT, 'level', 'levels')),
    bad('an unknown option key (a typo): did you mean', [0], (_) => new WalkCache(X86_64, { levels: [{ level: 2, entries: 4, way: 4 }] } as never), unknownKey(INVALID_ARGUMENT, 'way', 'ways')),
  ]),
  row('WalkCache.lookup', { setup: () => new WalkCache(X86_64, defaultWalkCacheConfig(X86_64)), state: () => ({}) }, [
    bad('va or asid not numbers: a miss, never a throw (the lookup is the walker\'s hot path)', [NaN, -1, '1', null], (c: WalkCache, v) => c.lookup(v as number, v as number), returns('-1', (r) => r === -1)),
  ]),
  row('WalkCache.fill', { setup: () => new WalkCache(X86_64, defaultWalkCacheConfig(X86_64)), state: () => ({}) }, [
    bad('level not a level index', [-1, 4, 0.5, NaN, '1', null], (c: WalkCache, v) => c.fill(v as number, 0, 1, 0, 0), INVALID_ARGUMENT),
    bad('va, asid or nextTable out of range', [[-1, 1, 0], [0, -5, 0], [0, 1, -1], [NaN, 1, 0], [0, 1, 2 ** 53]], (c: WalkCache, [va, asid, next]: number[]) => c.fill(2, va, asid, next, 0), throws(RangeError)),
  ], 'the walk cache is built of Tlb arrays: like Tlb.insert, out-of-range values are a RangeError'),
  row('WalkCache.invalidate', { setup: () => new WalkCache(X86_64, defaultWalkCacheConfig(X86_64)), state: () => ({}) }, [
    bad('va neither null nor an address', [NaN, -1, 0.5, '0', undefined], (c: WalkCache, v) => c.invalidate(v as number, null), INVALID_ARGUMENT),
    bad('asid neither null nor an ASID', [NaN, -1, 0.5, '0', undefined], (c: WalkCache, v) => c.invalidate(null, v as number), INVALID_ARGUMENT),
  ]),
  noArguments('WalkCache.validCount', NONE),
  row('defaultWalkCacheConfig', NONE, [bad('format not a page-table format', [...NOT_OBJECTS, undefined, {}], (_, v) => defaultWalkCacheConfig(v as never), INVALID_ARGUMENT)]),

  // ------------------------------------------------------------------ second-stage walkers: x86 EPT
  noArguments('EptWalkResult.reset', NONE),
  noArguments('EptNestedWalkResult.reset', NONE),
  row('new EptWalker', EPT_GUEST, [
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (_, v) => new EptWalker(v as PhysicalMemory), INVALID_ARGUMENT),
    bad('options not an object', [null, 5, 'x'], (c: Ept, v) => new EptWalker(c.memory, v as never), INVALID_ARGUMENT),
    bad('an option of the wrong type or out of range', [{ maxPhysicalAddressBits: 31 }, { maxPhysicalAddressBits: 53 }, { maxPhysicalAddressBits: 40.5 }, { maxPhysicalAddressBits: '46' }, { executeOnly: 1 }, { fiveLevel: 'yes' }, { gigabytePages: null }, { accessedDirty: 0 }, { advancedExitInformation: 'no' }, { modeBasedExecute: 1 }, { eptp: -1 }, { eptp: 0.5 }, { eptp: '0x1018' }, { eptp: null }, { eptp: PAGE | EPTP.WalkLength4 | 5 }], (c: Ept, v) => new EptWalker(c.memory, v as never), INVALID_ARGUMENT),
    bad('an eptp the other options do not allow (VM entry would fail)', [{ fiveLevel: false, eptp: PAGE | EPTP.WalkLength5 | EPTP.MemoryTypeWriteBack }, { accessedDirty: false, eptp: PAGE | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack | EPTP.AccessedDirty }, { maxPhysicalAddressBits: 32, eptp: 2 ** 33 + (EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack) }], (c: Ept, v) => new EptWalker(c.memory, v as never), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Ept) => new EptWalker(c.memory, { maxPhysAddrBits: 46 } as never), unknownKey(INVALID_ARGUMENT, 'maxPhysAddrBits', 'maxPhysicalAddressBits')),
    bad('an unknown option key (a typo): did you mean', [0], (c: Ept) => new EptWalker(c.memory, { executeOnley: true } as never), unknownKey(INVALID_ARGUMENT, 'executeOnley', 'executeOnly')),
  ]),
  row('EptWalker.setEptp', EPT_GUEST, [
    bad('eptp not an integer in [0, 2^53) or a 64-bit bigint', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, '4120', null, undefined, {}, -1n, 1n << 64n], (c: Ept, v) => c.walker.setEptp(v as number), INVALID_ARGUMENT),
    bad('an EPTP VM entry rejects: memory type, walk length, bit 7, bits 11:8, bits above MAXPHYADDR', [PAGE | EPTP.WalkLength4 | 1, PAGE | EPTP.WalkLength4 | 7, PAGE | (2 << 3) | EPTP.MemoryTypeWriteBack, PAGE | (5 << 3) | EPTP.MemoryTypeWriteBack, PAGE | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack | 0x80, PAGE | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack | 0x100, (1n << 52n) | BigInt(PAGE | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack), 1n << 63n], (c: Ept, v) => c.walker.setEptp(v as number), INVALID_ARGUMENT),
  ], 'the EPTP loaded before stays loaded (part of the state)'),
  row('EptWalker.walk', EPT_GUEST, [
    bad('gpa not an integer below 2^52', [...NON_INTEGERS, ...NEGATIVES, 2 ** 52, ...HUGE, ...WRONG_TYPES, undefined], (c: Ept, v) => c.walker.walk(v as number, Access.Read, EptAccessOrigin.Final, VA, 0, c.out), INVALID_ARGUMENT),
    bad('access not an Access', [3, -1, NaN, 'read', null, undefined], (c: Ept, v) => c.walker.walk(5 * PAGE, v as Access, EptAccessOrigin.Final, VA, 0, c.out), INVALID_ARGUMENT),
    bad('origin not an EptAccessOrigin', [3, -1, 0.5, NaN, '0', null, undefined], (c: Ept, v) => c.walker.walk(5 * PAGE, Access.Read, v as never, VA, 0, c.out), INVALID_ARGUMENT),
    bad('linearAddress not an integer below 2^57', [...NON_INTEGERS, -1, 2 ** 57, 2 ** 64, '0', null, undefined, {}, 1n], (c: Ept, v) => c.walker.walk(5 * PAGE, Access.Read, EptAccessOrigin.Final, v as number, 0, c.out), INVALID_ARGUMENT),
    bad('guestPerm not Perm bits', [64, 128, -1, 0.5, NaN, Infinity, '1', null, undefined, 1n], (c: Ept, v) => c.walker.walk(5 * PAGE, Access.Read, EptAccessOrigin.Final, VA, v as number, c.out), INVALID_ARGUMENT),
    bad('out not an EptWalkResult', [undefined, null, 5, 'out', {}, new WalkResult(), new EptNestedWalkResult(), new TwoStageWalkResult()], (c: Ept, v) => c.walker.walk(5 * PAGE, Access.Write, EptAccessOrigin.Final, VA, 0, v as EptWalkResult), INVALID_ARGUMENT),
    bad('no EPTP loaded yet', [0], (c: Ept) => new EptWalker(c.memory).walk(5 * PAGE, Access.Read, EptAccessOrigin.Final, VA, 0, c.out), INVALID_ARGUMENT),
  ], 'a guest-physical address is the caller\'s value, at most 52 bits wide by construction (guest paging structures hold 52-bit addresses): out of range it is a caller bug, not an EPT event'),
  row('new EptNestedWalker', EPT_GUEST, [
    bad('format not an x86 format', [...NOT_OBJECTS, undefined, {}, SV39], (c: Ept, v) => new EptNestedWalker(v as never, c.memory, defaultControls(), c.walker), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (c: Ept, v) => new EptNestedWalker(X86_64, v as PhysicalMemory, defaultControls(), c.walker), INVALID_ARGUMENT),
    bad('controls not a control state', [...NOT_OBJECTS, undefined], (c: Ept, v) => new EptNestedWalker(X86_64, c.memory, v as never, c.walker), INVALID_ARGUMENT),
    bad('ept not an EptWalker', [...NOT_OBJECTS, undefined, {}, new WalkResult()], (c: Ept, v) => new EptNestedWalker(X86_64, c.memory, defaultControls(), v as EptWalker), INVALID_ARGUMENT),
    bad('options not an object, a bad guest MAXPHYADDR or walk-cache config, an unknown key', [null, 5, 'x', { maxPhysicalAddressBits: 31 }, { maxPhysicalAddressBits: 53 }, { maxPhysicalAddressBits: 0.5 }, { maxPhysicalAddressBits: '46' }, { walkCache: 5 }, { walkCache: { levels: [{ level: 9, entries: 4, ways: 4 }] } }, { walkCaches: null }], (c: Ept, v) => new EptNestedWalker(X86_64, c.memory, defaultControls(), c.walker, v as never), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Ept) => new EptNestedWalker(X86_64, c.memory, defaultControls(), c.walker, { maxPhysAddrBits: 46 } as never), unknownKey(INVALID_ARGUMENT, 'maxPhysAddrBits', 'maxPhysicalAddressBits')),
  ]),
  row('EptNestedWalker.walk', EPT_GUEST, [
    bad('va not a canonical address: a guest #GP (NonCanonical), never a throw', [...BAD_VIRTUAL_NUMBERS, null, undefined, {}, 'x'], (c: Ept, v) => {
      c.nested.walk(v as number, Access.Read, Privilege.User, c.tables.root, c.nestedOut);
      return `${c.nestedOut.stage}/${c.nestedOut.guest.faultReason}/${c.nestedOut.guestVector}`;
    }, returns('a guest-stage fault outcome (#GP, NonCanonical)', isNestedGp)),
    bad('access not an Access', [3, -1, NaN, 'read', null, undefined], (c: Ept, v) => c.nested.walk(VA, v as Access, Privilege.User, c.tables.root, c.nestedOut), INVALID_ARGUMENT),
    bad('privilege not a Privilege', [2, -1, NaN, 'user', null, undefined], (c: Ept, v) => c.nested.walk(VA, Access.Read, v as TranslatedPrivilege, c.tables.root, c.nestedOut), INVALID_ARGUMENT),
    bad('cr3 not a guest-physical address below 2^52', [...NON_INTEGERS, ...NEGATIVES, 2 ** 52, ...HUGE, '0', null, undefined, {}, 4096n], (c: Ept, v) => c.nested.walk(VA, Access.Read, Privilege.User, v as number, c.nestedOut), INVALID_ARGUMENT),
    bad('out not an EptNestedWalkResult', [undefined, null, 5, 'out', {}, new EptWalkResult(), new WalkResult()], (c: Ept, v) => c.nested.walk(VA, Access.Write, Privilege.User, c.tables.root, v as EptNestedWalkResult), INVALID_ARGUMENT),
    bad('tag not an integer in [0, 2^31)', [...NON_INTEGERS, -1, 2 ** 31, '1', null], (c: Ept, v) => c.nested.walk(VA, Access.Read, Privilege.User, c.tables.root, c.nestedOut, v as number), INVALID_ARGUMENT),
    bad('no EPTP loaded in the EPT walker yet', [0], (c: Ept) => new EptNestedWalker(X86_64, c.memory, c.controls, new EptWalker(c.memory)).walk(VA, Access.Read, Privilege.User, c.tables.root, c.nestedOut), INVALID_ARGUMENT),
  ], 'a guest linear address is guest data: a bad one is reported in `out` as the guest stage\'s #GP, as TableWalker.walk reports NonCanonical'),

  // ------------------------------------------------------------------ second-stage walkers: RISC-V H extension
  noArguments('TwoStageWalkResult.reset', NONE),
  noArguments('defaultVsControls', NONE),
  row('gStageLevels', NONE, [bad('mode not a GStageMode', NOT_G_STAGE_MODES, (_, v) => gStageLevels(v as GStageMode), INVALID_ARGUMENT)]),
  row('gStageAddressBits', NONE, [bad('mode not a GStageMode', NOT_G_STAGE_MODES, (_, v) => gStageAddressBits(v as GStageMode), INVALID_ARGUMENT)]),
  row('new RiscvGStageWalker', HV, [
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (c: Hv, v) => new RiscvGStageWalker(v as PhysicalMemory, c.controls), INVALID_ARGUMENT),
    bad('controls not a control state', [...NOT_OBJECTS, undefined], (c: Hv, v) => new RiscvGStageWalker(c.memory, v as never), INVALID_ARGUMENT),
  ]),
  row('RiscvGStageWalker.setHgatp', HV, [
    bad('mode not a GStageMode', NOT_G_STAGE_MODES, (c: Hv, v) => c.g.setHgatp(v as GStageMode, HV_RAM), INVALID_ARGUMENT),
    bad('root not a 16 KiB-aligned physical address', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, HV_RAM + 0x1000, HV_RAM + 0x2000, 2 ** 53 - 0x1000, '0', null, undefined, 0x4000n], (c: Hv, v) => c.g.setHgatp(GStageMode.Sv48x4, v as number), INVALID_ARGUMENT),
    bad('Bare with a root other than 0', [HV_RAM, 0x4000, 1, NaN, '0', null, undefined], (c: Hv, v) => c.g.setHgatp(GStageMode.Bare, v as number), INVALID_ARGUMENT),
  ], 'the hgatp in force before stays (part of the state)'),
  row('RiscvGStageWalker.translate', HV, [
    bad('gpa not a non-negative integer (NaN and ±Infinity included)', [...NON_INTEGERS, ...NEGATIVES, ...WRONG_TYPES, undefined], (c: Hv, v) => c.g.translate(v as number, Access.Read, false), INVALID_ARGUMENT),
    bad('gpa with a bit at or above the mode\'s 41: a guest-page fault (NonCanonical), never a throw', [2 ** 41, 2 ** 50, 2 ** 53, 2 ** 64, Number.MAX_VALUE], (c: Hv, v) => c.g.translate(v as number, Access.Read, false), returns('NonCanonical', (r) => r === FaultReason.NonCanonical)),
    bad('access not an Access', [3, -1, NaN, 'read', null, undefined], (c: Hv, v) => c.g.translate(0x5000, v as Access, false), INVALID_ARGUMENT),
    bad('hlvx not a boolean', [1, 0, 'yes', null, undefined, {}], (c: Hv, v) => c.g.translate(0x5000, Access.Read, v as boolean), INVALID_ARGUMENT),
    bad('hlvx with an access other than Read', [Access.Write, Access.Execute], (c: Hv, v) => c.g.translate(0x5000, v as Access, true), INVALID_ARGUMENT),
  ], 'a guest-physical address too wide for the mode is guest data (a guest-page fault); its outputs are not part of the state (a fault outcome rewrites them)'),
  row('new RiscvTwoStageWalker', HV, [
    bad('memory not a PhysicalMemory', [...NOT_OBJECTS, undefined, {}], (c: Hv, v) => new RiscvTwoStageWalker(v as PhysicalMemory, c.controls, c.vs), INVALID_ARGUMENT),
    bad('controls not a control state', [...NOT_OBJECTS, undefined], (c: Hv, v) => new RiscvTwoStageWalker(c.memory, v as never, c.vs), INVALID_ARGUMENT),
    bad('vsControls not an object', [...NOT_OBJECTS, undefined], (c: Hv, v) => new RiscvTwoStageWalker(c.memory, c.controls, v as VsControls), INVALID_ARGUMENT),
  ]),
  row('RiscvTwoStageWalker.setHgatp', HV, [
    bad('mode not a GStageMode', NOT_G_STAGE_MODES, (c: Hv, v) => c.walker.setHgatp(v as GStageMode, HV_RAM), INVALID_ARGUMENT),
    bad('root not a 16 KiB-aligned physical address', [...NON_INTEGERS, ...NEGATIVES, ...HUGE, HV_RAM + 0x1000, '0', null, undefined, 0x4000n], (c: Hv, v) => c.walker.setHgatp(GStageMode.Sv39x4, v as number), INVALID_ARGUMENT),
    bad('Bare with a root other than 0', [HV_RAM, 1, null, undefined], (c: Hv, v) => c.walker.setHgatp(GStageMode.Bare, v as number), INVALID_ARGUMENT),
  ]),
  row('RiscvTwoStageWalker.setVsatp', HV, [
    bad('format neither a RISC-V format nor null', [42, 'sv39', true, 1n, undefined, {}, X86_64], (c: Hv, v) => c.walker.setVsatp(v as never, 0x4000), INVALID_ARGUMENT),
    bad('root not a 4 KiB-aligned guest-physical address below 2^56', [...NON_INTEGERS, ...NEGATIVES, 0x4001, 0x800, 2 ** 56, 2 ** 64, '4096', null, undefined, 0x4000n], (c: Hv, v) => c.walker.setVsatp(SV39, v as number), INVALID_ARGUMENT),
    bad('Bare with a root other than 0', [0x4000, 1, NaN, '0', null, undefined], (c: Hv, v) => c.walker.setVsatp(null, v as number), INVALID_ARGUMENT),
  ], 'the vsatp in force before stays (part of the state)'),
  row('RiscvTwoStageWalker.walk', HV, [
    bad('gva not an Sv39 address: a VS-stage page fault (NonCanonical), never a throw', [...BAD_VIRTUAL_NUMBERS, 2 ** 39, null, undefined, {}, 'x'], (c: Hv, v) => {
      c.walker.walk(v as number, Access.Read, Privilege.Supervisor, c.out);
      return twoStageFault(c.out);
    }, returns('a VS-stage fault outcome (NonCanonical)', (r) => r === `${TranslationStage.VS}/${FaultReason.NonCanonical}`)),
    bad('vsatp Bare, gva not a non-negative integer (NaN and ±Infinity included): a VS-stage page fault, never a throw', [...NON_INTEGERS, ...NEGATIVES, null, undefined, {}, 'x'], (c: Hv, v) => {
      c.bare.walk(v as number, Access.Read, Privilege.Supervisor, c.out);
      return twoStageFault(c.out);
    }, returns('a VS-stage fault outcome (NonCanonical)', (r) => r === `${TranslationStage.VS}/${FaultReason.NonCanonical}`)),
    bad('vsatp Bare, gva (the GPA) wider than Sv39x4\'s 41 bits: a guest-page fault, never a throw', [2 ** 41, 2 ** 53, 2 ** 64, Number.MAX_VALUE], (c: Hv, v) => {
      c.bare.walk(v as number, Access.Write, Privilege.Supervisor, c.out);
      return twoStageFault(c.out);
    }, returns('a G-stage fault outcome (NonCanonical)', (r) => r === `${TranslationStage.G}/${FaultReason.NonCanonical}`)),
    bad('access not an Access', [3, -1, NaN, 'read', null, undefined], (c: Hv, v) => c.walker.walk(0x5000, v as Access, Privilege.Supervisor, c.out), INVALID_ARGUMENT),
    bad('privilege not a Privilege', [2, 3, -1, NaN, 'user', null, undefined], (c: Hv, v) => c.walker.walk(0x5000, Access.Read, v as TranslatedPrivilege, c.out), INVALID_ARGUMENT),
    bad('out not a TwoStageWalkResult', [undefined, null, 5, 'out', {}, new WalkResult(), new EptWalkResult()], (c: Hv, v) => c.walker.walk(0x5000, Access.Write, Privilege.Supervisor, v as TwoStageWalkResult), INVALID_ARGUMENT),
    bad('hlvx not a boolean', [1, 0, 'yes', null, {}], (c: Hv, v) => c.walker.walk(0x5000, Access.Read, Privilege.Supervisor, c.out, v as boolean), INVALID_ARGUMENT),
    bad('hlvx with an access other than Read', [Access.Write, Access.Execute], (c: Hv, v) => c.walker.walk(0x5000, v as Access, Privilege.Supervisor, c.out, true), INVALID_ARGUMENT),
  ], 'a guest-virtual address is guest data: a bad one is reported in `out` (VS-stage NonCanonical, or a guest-page fault for a Bare VS-stage GPA too wide for the G-stage), as TableWalker.walk does; a bigint gva is outside that contract (the host TypeError), as for TableWalker.walk'),

  // ------------------------------------------------------------------ faults
  row('faultReasonName', NONE, [bad('not a FaultReason', [99, -1, NaN, 'NotPresent', null, undefined], (_, v) => faultReasonName(v as never), returns('a name string', isString))]),
  row('new TranslationFault', NONE, [
    bad('fields not an object', [...NOT_OBJECTS, undefined], (_, v) => new TranslationFault(v as never), INVALID_ARGUMENT),
    bad('an unknown field (a typo): did you mean', [0], () => new TranslationFault({ ...TranslationFault.create('x86', VA, Access.Read, Privilege.User, 1, 3, 1, true), physAddress: 0 } as never), unknownKey(INVALID_ARGUMENT, 'physAddress', 'physicalAddress')),
  ]),
  row('static TranslationFault.create', NONE, [
    bad('architecture unknown', ['arm', null, 5], (_, v) => TranslationFault.create(v as 'x86', VA, Access.Read, Privilege.User, 1, 3, 1, true), INVALID_ARGUMENT),
    bad('access not an Access', [3, NaN, 'read', null], (_, v) => TranslationFault.create('x86', VA, v as Access, Privilege.User, 1, 3, 1, true), INVALID_ARGUMENT),
    bad('privilege not a Privilege', [2, NaN, 'user', null], (_, v) => TranslationFault.create('x86', VA, Access.Read, v as Privilege, 1, 3, 1, true), INVALID_ARGUMENT),
    bad('reason not a FaultReason', [0, 99, NaN, 'NotPresent', null], (_, v) => TranslationFault.create('riscv', VA, Access.Read, Privilege.User, v as never, 3, 1, true), INVALID_ARGUMENT),
    bad('pageTableAccess neither read, write nor null', ['Read', 'fetch', 1, {}], (_, v) => TranslationFault.create('x86', VA, Access.Read, Privilege.User, 8, 0, 1, true, 0x1000, v as never), INVALID_ARGUMENT),
    bad('any address (recorded as given; a record of a bad address is still a record)', [NaN, -1, 2 ** 64, 0.5, null, '1', 1n], (_, v) => TranslationFault.create('x86', v as number, Access.Read, Privilege.User, 7, -1, 1, true).toString(), returns('a description', isString)),
  ]),
  noArguments('TranslationFault.toString', NONE),
  noArguments('TranslationFault.toJSON', NONE),
  noArguments('FaultRecord.toFault', NONE),
  noArguments('FaultRecord.toString', NONE),

  // ------------------------------------------------------------------ the MMU
  row('new Mmu', HW, [
    bad('options not an object', [...NOT_OBJECTS, undefined], (_, v) => new Mmu(v as never), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [null, undefined, {}, { read32: 5 }], (_, v) => new Mmu({ memory: v as PhysicalMemory, format: 'x86-64' }), INVALID_ARGUMENT),
    bad('unknown format', ['x86', null, undefined, 5, {}], (c: Hw, v) => new Mmu({ memory: c.memory, format: v as never }), INVALID_ARGUMENT),
    bad('a latency that is not a finite number >= 0, or unknown', [{ l1Hit: -1 }, { l1Hit: NaN }, { l1Hit: '1' }, { l4Hit: 1 }, null, 5], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'x86-64', cycles: v as never }), INVALID_ARGUMENT),
    bad('controls not an object, an unknown bit, or not a boolean', [null, 5, { smep: 1 }, { cr9: true }], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'x86-64', controls: v as never }), INVALID_ARGUMENT),
    bad('asids not a boolean', ['yes', 1, null], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'x86-64', asids: v as boolean }), INVALID_ARGUMENT),
    bad('maxFaultRetries not an integer in [0, 2^20]', [...NON_INTEGERS, -1, 2 ** 21, '3'], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'x86-64', maxFaultRetries: v as number }), INVALID_ARGUMENT),
    bad('faultHandler without handleFault', [5, {}, { handleFault: 1 }, 'handler'], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'x86-64', faultHandler: v as never }), INVALID_ARGUMENT),
    bad('walkCache not a config, null or "default"', [5, 'none', { levels: 5 }], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'x86-64', walkCache: v as never }), INVALID_ARGUMENT),
    bad('pmpEntries not an integer in [0, 64] (RISC-V)', [...NON_INTEGERS, -1, 65, '16', null], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'sv39', pmpEntries: v as number }), INVALID_ARGUMENT),
    bad('pmpEntries on x86, or a pmp among the walker options', [16], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'x86-64', pmpEntries: v as number }), INVALID_ARGUMENT),
    bad('a pmp among the walker options (the MMU owns its PMP)', [new Pmp(4, 56), null], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'sv39', walker: { pmp: v } as never }), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => new Mmu({ memory: c.memory, format: 'x86-64', tlbs: SKYLAKE_TLB } as never), unknownKey(INVALID_ARGUMENT, 'tlbs', 'tlb')),
    bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => new Mmu({ memory: c.memory, format: 'x86-64', walker: { svnapt: true } } as never), unknownKey(INVALID_ARGUMENT, 'svnapt', 'svnapot')),
  ], 'a bad TLB geometry is a TlbConfigError (see bad-arguments-tlb.test.ts)'),
  row('Mmu.setRoot', HW, [
    bad('root not a 4 KiB-aligned physical address', [...BAD_PHYSICAL, 8], (c: Hw, v) => c.mmu.setRoot(v as number, 1), INVALID_ARGUMENT),
    bad('asid not an integer in [0, 65535]', [...NON_INTEGERS, -1, 65536, ...HUGE, '1', null], (c: Hw, v) => c.mmu.setRoot(c.tables.root, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.setPrivilege', HW, [bad('not a Privilege, or Machine on x86', [2, 3, -1, 0.5, NaN, 'user', null, undefined, true], (c: Hw, v) => c.mmu.setPrivilege(v as Privilege), INVALID_ARGUMENT)]),
  row('Mmu.setVirtualized', RV_HV, [
    bad('not a boolean', [1, 0, 'true', null, undefined], (c: RvHv, v) => c.mmu.setVirtualized(v as boolean), INVALID_ARGUMENT),
    bad('in M-mode (V=1 is VS- or VU-mode)', [true], (c: RvHv, v) => {
      c.mmu.setPrivilege(Privilege.Machine);
      try {
        c.mmu.setVirtualized(v as boolean);
      } finally {
        c.mmu.setPrivilege(Privilege.Supervisor);
      }
    }, INVALID_ARGUMENT),
    bad('x86 without an EPTP', [true], (_c: RvHv, v) => new Mmu({ memory: new PhysicalMemory({ size: PAGE }), format: 'x86-64' }).setVirtualized(v as boolean), INVALID_ARGUMENT),
  ]),
  row('Mmu.setGuestRoot', RV_HV, [
    bad('format not a format of the architecture, or null', ['x86-64', 'sv40', 5, {}, undefined], (c: RvHv, v) => c.mmu.setGuestRoot(v as never, 0x1000, 0), INVALID_ARGUMENT),
    bad('root not an aligned guest-physical address below 2^52 (0 without paging)', [...NON_INTEGERS, -1, 0x1001, 2 ** 52, '4096', null], (c: RvHv, v) => c.mmu.setGuestRoot('sv39', v as number, 0), INVALID_ARGUMENT),
    bad('a root with no guest paging', [0x1000], (c: RvHv, v) => c.mmu.setGuestRoot(null, v as number, 0), INVALID_ARGUMENT),
    bad('asid not an ASID (RISC-V: 16 bits; x86: a 12-bit PCID)', [...NON_INTEGERS, -1, 65536, '1', null], (c: RvHv, v) => c.mmu.setGuestRoot('sv39', 0x1000, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.setGuestControls', RV_HV, [
    bad('not an object of the guest\'s bits (RISC-V: sum, mxr, hardwareAD)', [null, 5, 'sum', { wp: true }, { smep: false }, { sum: 1 }, { mxr: 'yes' }, { hardwareAD: null }], (c: RvHv, v) => c.mmu.setGuestControls(v as never), INVALID_ARGUMENT),
  ]),
  row('Mmu.setHgatp', RV_HV, [
    bad('an unknown mode', [1, 11, -1, 0.5, 'sv39x4', null, undefined], (c: RvHv, v) => c.mmu.setHgatp(v as never, c.mmu.hgatp.root, 4), INVALID_ARGUMENT),
    bad('root not 16 KiB aligned (0 for Bare)', [0x1000, -0x4000, 0.5, NaN, '0', null], (c: RvHv, v) => c.mmu.setHgatp(GStageMode.Sv39x4, v as number, 4), INVALID_ARGUMENT),
    bad('vmid not in [0, 16383]', [...NON_INTEGERS, -1, 16384, '4', null], (c: RvHv, v) => c.mmu.setHgatp(GStageMode.Sv39x4, c.mmu.hgatp.root, v as number), INVALID_ARGUMENT),
    bad('on x86', [0], (_c: RvHv, v) => new Mmu({ memory: new PhysicalMemory({ size: PAGE }), format: 'x86-64' }).setHgatp(GStageMode.Bare, v as number, 0), INVALID_ARGUMENT),
  ]),
  row('Mmu.hfenceVvma', RV_HV, [
    bad('va neither null nor an address', NOT_NULLABLE_ADDRESSES, (c: RvHv, v) => c.mmu.hfenceVvma(v as number, null), INVALID_ARGUMENT),
    bad('asid neither null nor an ASID', [NaN, -1, 0.5, 65536, '0', undefined], (c: RvHv, v) => c.mmu.hfenceVvma(null, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.hfenceGvma', RV_HV, [
    bad('gpa neither null nor a guest-physical address below 2^59', [NaN, -1, 0.5, 2 ** 59, '0', undefined], (c: RvHv, v) => c.mmu.hfenceGvma(v as number, null), INVALID_ARGUMENT),
    bad('vmid neither null nor a VMID', [NaN, -1, 0.5, 16384, '0', undefined], (c: RvHv, v) => c.mmu.hfenceGvma(null, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.setSpvp', RV_HV, [bad('not a boolean', [1, 0, 'true', null, undefined], (c: RvHv, v) => c.mmu.setSpvp(v as boolean), INVALID_ARGUMENT)]),
  row('Mmu.hlv', RV_HV_FAULTING, [
    bad('size not 1, 2 or 4', [0, 3, 8, '4', null, undefined], (c: RvHv, v) => c.mmu.hlv(0x2000, v as 4), INVALID_ARGUMENT),
    bad('an address the guest does not map: a load guest-page fault, V back to 0', [0x9000, 2 ** 41, -1, NaN], (c: RvHv, v) => c.mmu.hlv(v as number, 4), PAGE_FAULT),
  ]),
  row('Mmu.hlv64', RV_HV_FAULTING, [bad('an address the guest does not map', [0x9000, -1, NaN], (c: RvHv, v) => c.mmu.hlv64(v as number), PAGE_FAULT)]),
  row('Mmu.hlvx', RV_HV_FAULTING, [
    bad('size not 2 or 4', [1, 3, 8, '4', null], (c: RvHv, v) => c.mmu.hlvx(0x2000, v as 4), INVALID_ARGUMENT),
    bad('an address the guest does not map', [0x9000, -1, NaN], (c: RvHv, v) => c.mmu.hlvx(v as number, 4), PAGE_FAULT),
  ]),
  row('Mmu.hsv', RV_HV_FAULTING, [
    bad('size not 1, 2 or 4', [0, 3, 8, '4', null], (c: RvHv, v) => c.mmu.hsv(0x2000, v as 4, 1), INVALID_ARGUMENT),
    bad('an address the guest does not map: nothing written', [0x9000, -1, NaN], (c: RvHv, v) => c.mmu.hsv(v as number, 4, 7), PAGE_FAULT),
  ]),
  row('Mmu.hsv64', RV_HV_FAULTING, [bad('an address the guest does not map: nothing written', [0x9000, -1, NaN], (c: RvHv, v) => c.mmu.hsv64(v as number, 7n), PAGE_FAULT)]),
  row('Mmu.setEptp', X86_HV, [
    bad('an EPTP VM entry refuses (memory type, walk length, reserved bits)', [1, 0x1000 | 0x18 | 3, 2 ** 60, -1, 0.5, '0x1018', null], (c: X86Hv, v) => c.mmu.setEptp(v as number, 3), INVALID_ARGUMENT),
    bad('vpid not in [0, 65535]', [...NON_INTEGERS, -1, 65536, '3', null], (c: X86Hv, v) => c.mmu.setEptp(c.ept.eptp(), v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.invept', X86_HV, [
    bad('type not 1 or 2', [0, 3, -1, '1', null, undefined], (c: X86Hv, v) => c.mmu.invept(v as 1, c.ept.eptp()), INVALID_ARGUMENT),
    bad('type 1 without a valid EPTP', [undefined, 5, -1], (c: X86Hv, v) => c.mmu.invept(1, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.invvpid', X86_HV, [
    bad('type not 0 to 3', [4, -1, 0.5, '1', null, undefined], (c: X86Hv, v) => c.mmu.invvpid(v as 1, 3), INVALID_ARGUMENT),
    bad('vpid not in [1, 65535] (VPID 0 is VMfailValid)', [0, -1, 65536, 0.5, '3', null], (c: X86Hv, v) => c.mmu.invvpid(1, v as number), INVALID_ARGUMENT),
    bad('type 0 without an address below 2^57', [undefined, -1, 2 ** 57, 0.5, '0'], (c: X86Hv, v) => c.mmu.invvpid(0, 3, v as number), INVALID_ARGUMENT),
  ]),
  row('new SecondStageTableBuilder', SS, [
    bad('kind not a second-stage kind', ['sv39', 'ept3', 'toString', 5, null, undefined], (c: Ss, v) => new SecondStageTableBuilder(c.memory, v as never, c.frames), INVALID_ARGUMENT),
    bad('memory not a PhysicalMemory', [null, {}, 5], (c: Ss, v) => new SecondStageTableBuilder(v as never, 'sv39x4', c.frames), INVALID_ARGUMENT),
    bad('frames not a FrameAllocator of that memory', [null, {}, 'other'], (c: Ss, v) => new SecondStageTableBuilder(c.memory, 'sv39x4', (v === 'other' ? new FrameAllocator(new PhysicalMemory({ size: 16 * PAGE })) : v) as never), INVALID_ARGUMENT),
  ]),
  row('SecondStageTableBuilder.map', SS, [
    bad('gpa not an aligned address below 2^addressBits', [...NON_INTEGERS, -PAGE, 0x2001, 2 ** 41, '0x2000', null], (c: Ss, v) => c.g.map(v as number, 0x8000_0000 + 42 * PAGE), INVALID_ARGUMENT),
    bad('pa not an aligned physical address', [...NON_INTEGERS, -PAGE, 0x8000_0001, 2 ** 53, null], (c: Ss, v) => c.g.map(0x5000, v as number), INVALID_ARGUMENT),
    bad('attributes not an object of known, consistent attributes', [null, 5, { writable: 1 }, { read: true }, { readable: false, writable: true }, { readable: false, executable: false, writable: false }, { pageSize: 8192 }], (c: Ss, v) => c.g.map(0x5000, 0x8000_0000 + 42 * PAGE, v as never), INVALID_ARGUMENT),
    bad('EPT attributes: write without read, a reserved memory type, an unknown key', [{ read: false, write: true }, { memoryType: 2 }, { memoryType: 7 }, { readable: true }], (c: Ss, v) => c.ept.map(0x5000, 0x8000_0000 + 42 * PAGE, v as never), INVALID_ARGUMENT),
  ]),
  row('SecondStageTableBuilder.unmap', SS, [bad('gpa not an aligned address in range', [...NON_INTEGERS, -PAGE, 0x2001, 2 ** 41, '0x2000', null], (c: Ss, v) => c.g.unmap(v as number), INVALID_ARGUMENT)]),
  row('SecondStageTableBuilder.lookup', SS, [bad('gpa not an aligned address in range', [...NON_INTEGERS, -PAGE, 0x2001, 2 ** 41, '0x2000', null], (c: Ss, v) => c.g.lookup(v as number), INVALID_ARGUMENT)]),
  row('SecondStageTableBuilder.hgatp', SS, [
    bad('vmid not in [0, 16383]', [...NON_INTEGERS, -1, 16384, '1', null], (c: Ss, v) => c.g.hgatp(v as number), INVALID_ARGUMENT),
    bad('an EPT builder', [0], (c: Ss, v) => c.ept.hgatp(v as number), INVALID_ARGUMENT),
  ]),
  row('SecondStageTableBuilder.eptp', SS, [
    bad('options not an object of known, valid options', [null, 5, { memoryType: 3 }, { accessedDirty: 1 }, { accessDirty: true }], (c: Ss, v) => c.ept.eptp(v as never), INVALID_ARGUMENT),
    bad('a G-stage builder', [{}], (c: Ss, v) => c.g.eptp(v as never), INVALID_ARGUMENT),
  ]),
  noArguments('SecondStageTableBuilder.tables', SS),
  row('Mmu.setModifyPrivilege', HW, [
    bad('any value on x86 (mstatus.MPRV is RISC-V)', [Privilege.User, Privilege.Machine, null], (c: Hw, v) => c.mmu.setModifyPrivilege(v as Privilege | null), INVALID_ARGUMENT),
    bad('not a Privilege or null (RISC-V)', [3, -1, 0.5, NaN, 'user', undefined, true], (c: Hw, v) => new Mmu({ memory: c.memory, format: 'sv39' }).setModifyPrivilege(v as Privilege), INVALID_ARGUMENT),
  ]),
  row('Mmu.setControls', HW, [
    bad('changes not an object, an unknown bit or not a boolean', [...NOT_OBJECTS, undefined, { nxe: 1 }, { wp: 'yes' }, { cr4: true }, { smep: true, bogus: true }], (c: Hw, v) => c.mmu.setControls(v as never), INVALID_ARGUMENT),
    bad('an unknown option key (a typo): did you mean', [0], (c: Hw) => c.mmu.setControls({ smpe: true } as never), unknownKey(INVALID_ARGUMENT, 'smpe', 'smep')),
  ]),
  row('Mmu.setMode', HW, [bad('not a mode', ['Fast', 'exact', 1, null, undefined, true], (c: Hw, v) => c.mmu.setMode(v as never), INVALID_ARGUMENT)]),
  row('Mmu.setFormat', HW, [
    bad('not a format of this architecture, or into or out of long mode with paging on (#GP)', ['sv39', 'x86-32', 'x86-pae', 'x86-64-la57', 'x86_64', null, undefined, 1, {}], (c: Hw, v) => c.mmu.setFormat(v as never), INVALID_ARGUMENT),
    bad('walker options that are not options or do not fit the format', [null, 1, 'x', { walkCache: { levels: [{ level: 7, entries: 4, ways: 4 }] } }, { svpbmt: true }, { bogus: 1 }], (c: Hw, v) => c.mmu.setFormat('x86-64', v as never), INVALID_ARGUMENT),
  ]),
  // ------------------------------------------------------------------ PMP (RISC-V)
  row('Mmu.readPmpcfg', RV_PMP, [
    bad('index not an entry in [0, 64)', NOT_INDICES, (c: RvPmp, v) => c.mmu.readPmpcfg(v as number), INVALID_ARGUMENT),
    bad('any index on x86 (no PMP)', [0], (_c: RvPmp, v) => new Mmu({ memory: new PhysicalMemory({ size: PAGE }), format: 'x86-64' }).readPmpcfg(v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.readPmpaddr', RV_PMP, [bad('index not an entry in [0, 64)', NOT_INDICES, (c: RvPmp, v) => c.mmu.readPmpaddr(v as number), INVALID_ARGUMENT)]),
  row('Mmu.writePmpcfg', RV_PMP, [
    bad('index not an entry in [0, 64)', NOT_INDICES, (c: RvPmp, v) => c.mmu.writePmpcfg(v as number, 1), INVALID_ARGUMENT),
    bad('value not a byte', [...NON_INTEGERS, -1, 256, '1', null, 1n], (c: RvPmp, v) => c.mmu.writePmpcfg(0, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.writePmpaddr', RV_PMP, [
    bad('index not an entry in [0, 64)', NOT_INDICES, (c: RvPmp, v) => c.mmu.writePmpaddr(v as number, 1), INVALID_ARGUMENT),
    bad('value not a non-negative integer below 2^64', [...NON_INTEGERS, -1, -1n, 1n << 64n, 2 ** 64, '1', null], (c: RvPmp, v) => c.mmu.writePmpaddr(2, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.pmpAllows', RV_PMP, [
    bad('pa not a physical address', [...NON_INTEGERS, -1, 2 ** 53, '0', null], (c: RvPmp, v) => c.mmu.pmpAllows(v as number, 4, Access.Read), INVALID_ARGUMENT),
    bad('size not in [1, 2^30]', [...NON_INTEGERS, 0, -4, 2 ** 30 + 1, null], (c: RvPmp, v) => c.mmu.pmpAllows(0x8000_0000, v as number, Access.Read), INVALID_ARGUMENT),
    bad('access or privilege not one', [3, -1, 'read', null], (c: RvPmp, v) => c.mmu.pmpAllows(0x8000_0000, 4, v as Access), INVALID_ARGUMENT),
    bad('privilege not a Privilege', [3, -1, 'user', null], (c: RvPmp, v) => c.mmu.pmpAllows(0x8000_0000, 4, Access.Read, v as Privilege), INVALID_ARGUMENT),
  ]),
  row('new Pmp', NONE, [
    bad('entries not an integer in [0, 64]', [...NON_INTEGERS, -1, 65, '16', null], (_, v) => new Pmp(v as number, 56), INVALID_ARGUMENT),
    bad('addressBits not 34 or 56', [32, 64, 0, '56', null], (_, v) => new Pmp(16, v as number), INVALID_ARGUMENT),
  ]),
  row('Pmp.readConfig', RV_PMP, [bad('index not an entry', NOT_INDICES, (c: RvPmp, v) => c.pmp.readConfig(v as number), INVALID_ARGUMENT)]),
  row('Pmp.readAddress', RV_PMP, [bad('index not an entry', NOT_INDICES, (c: RvPmp, v) => c.pmp.readAddress(v as number), INVALID_ARGUMENT)]),
  row('Pmp.writeConfig', RV_PMP, [
    bad('index not an entry', NOT_INDICES, (c: RvPmp, v) => c.pmp.writeConfig(v as number, 1), INVALID_ARGUMENT),
    bad('value not a byte', [-1, 256, 0.5, null], (c: RvPmp, v) => c.pmp.writeConfig(0, v as number), INVALID_ARGUMENT),
  ]),
  row('Pmp.writeAddress', RV_PMP, [
    bad('index not an entry', NOT_INDICES, (c: RvPmp, v) => c.pmp.writeAddress(v as number, 1), INVALID_ARGUMENT),
    bad('value not a register value', [-1, -1n, 0.5, null, '1'], (c: RvPmp, v) => c.pmp.writeAddress(0, v as number), INVALID_ARGUMENT),
  ]),
  row('Pmp.allows', RV_PMP, [
    bad('pa, size, access or privilege out of range', [-1, 0.5, NaN, 2 ** 53, null], (c: RvPmp, v) => c.pmp.allows(v as number, 4, Access.Read, Privilege.User), INVALID_ARGUMENT),
    bad('size out of range', [0, -1, 0.5, null], (c: RvPmp, v) => c.pmp.allows(0, v as number, Access.Read, Privilege.User), INVALID_ARGUMENT),
    bad('access not an Access', [3, null], (c: RvPmp, v) => c.pmp.allows(0, 4, v as Access, Privilege.User), INVALID_ARGUMENT),
    bad('privilege not a Privilege', [3, null], (c: RvPmp, v) => c.pmp.allows(0, 4, Access.Read, v as Privilege), INVALID_ARGUMENT),
  ]),
  row('Mmu.setPaging', HW, [bad('not a boolean', [0, 1, 'on', null, undefined], (c: Hw, v) => c.mmu.setPaging(v as boolean), INVALID_ARGUMENT)]),
  ...(['read8', 'read16', 'read32', 'read64', 'fetch', 'fetch8', 'fetch16', 'fetch32'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('va not a canonical integer address: a #GP fault, no memory read', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => c.mmu[op](v as number), PAGE_FAULT),
      bad('va not a number, on a TLB miss: a fault', [null, undefined, {}, 'x'], (c: Hw, v) => c.mmu[op](v as number), PAGE_FAULT),
    ], 'hot path: non-number addresses are not validated (on a TLB hit JavaScript coerces them; a bigint throws the host TypeError)'),
  ),
  ...(['write8', 'write16', 'write32', 'write64'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('va not a canonical integer address: a #GP fault, nothing written', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => (op === 'write64' ? c.mmu.write64(v as number, 1n) : c.mmu[op](v as number, 1)), PAGE_FAULT),
      bad('va not a number, on a TLB miss: a fault', [null, undefined, {}, 'x'], (c: Hw, v) => (op === 'write64' ? c.mmu.write64(v as number, 1n) : c.mmu[op](v as number, 1)), PAGE_FAULT),
    ], 'hot path: values are stored like typed arrays store them; a value of the wrong type (a number for write64, a bigint for the others) throws the host TypeError'),
  ),
  ...(['tryRead8', 'tryRead16', 'tryRead32', 'tryFetch8', 'tryFetch16', 'tryFetch32'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('va not a canonical integer address: FAULTED, the fault recorded, no memory read', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => expectFaulted(c, c.mmu[op](v as number) === FAULTED), PAGE_FAULT),
    ], 'hot path, as the throwing accessors; returns FAULTED instead of throwing (the row rethrows the recorded fault to check it)'),
  ),
  ...(['tryWrite8', 'tryWrite16', 'tryWrite32'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('va not a canonical integer address: false, the fault recorded, nothing written', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => expectFaulted(c, !c.mmu[op](v as number, 1)), PAGE_FAULT),
    ], 'hot path, as the throwing accessors; returns false instead of throwing (the row rethrows the recorded fault to check it)'),
  ),
  // The wide accessors validate their arguments (they are not the number-taking hot path), and
  // fault on a non-canonical register value as the hardware does (x86-64: #GP).
  ...(['readN', 'tryReadN', 'fetchN', 'tryFetchN'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('va not a bigint register value', [...BAD_VIRTUAL_NUMBERS, 1n << 64n, -(1n << 63n) - 1n, null, '0x1000'], (c: Hw, v) => c.mmu[op](v as bigint, 4), INVALID_ARGUMENT),
      bad('size not one the access takes', [0, 3, 16, 8.5, -4, '4', null, ...(op.includes('etch') ? [1, 8] : [])], (c: Hw, v) => c.mmu[op](BigInt(VA), v as 4), INVALID_ARGUMENT),
      bad('va not canonical: a #GP fault, no memory read', [0x8000_0000_0000n, 0x1_0000_0000_0000n, -(1n << 63n)], (c: Hw, v) => (op.startsWith('try') ? expectFaulted(c, c.mmu[op](v as bigint, 4) === -1n) : c.mmu[op](v as bigint, 4)), PAGE_FAULT),
    ]),
  ),
  ...(['writeN', 'tryWriteN'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('va not a bigint register value', [...BAD_VIRTUAL_NUMBERS, 1n << 64n, null], (c: Hw, v) => c.mmu[op](v as bigint, 4, 1n), INVALID_ARGUMENT),
      bad('size not 1, 2, 4 or 8', [0, 3, 16, '4', null], (c: Hw, v) => c.mmu[op](BigInt(VA), v as 4, 1n), INVALID_ARGUMENT),
      bad('value not a bigint', [1, '1', null, undefined], (c: Hw, v) => c.mmu[op](BigInt(VA), 4, v as bigint), INVALID_ARGUMENT),
      bad('va not canonical: a #GP fault, nothing written', [0x8000_0000_0000n], (c: Hw, v) => (op === 'tryWriteN' ? expectFaulted(c, !c.mmu.tryWriteN(v as bigint, 4, 1n)) : c.mmu.writeN(v as bigint, 4, 1n)), PAGE_FAULT),
    ]),
  ),
  ...(['translateN', 'tryTranslateN'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('va not a bigint register value', [...BAD_VIRTUAL_NUMBERS, null], (c: Hw, v) => c.mmu[op](v as bigint, Access.Read), INVALID_ARGUMENT),
      bad('access not an Access', [3, -1, NaN, 'read', null, undefined], (c: Hw, v) => c.mmu[op](BigInt(VA), v as Access), INVALID_ARGUMENT),
    ]),
  ),
  ...(['readHalves', 'tryReadHalves', 'fetchHalves', 'tryFetchHalves', 'read64Halves', 'tryRead64Halves', 'translateHalves', 'tryTranslateHalves'] as const).map((op) => {
    const call = (c: Hw, high: number, low: number, size: unknown = 4) =>
      op.startsWith('read64') || op.startsWith('tryRead64') ? c.mmu[op as 'read64Halves'](high, low) : op.includes('ranslate') ? c.mmu[op as 'translateHalves'](high, low, (size === 4 ? Access.Read : size) as Access) : c.mmu[op as 'readHalves'](high, low, size as 4);
    return row(`Mmu.${op}`, HW_FAULTING, [
      bad('a half not a 32-bit integer', [...NON_INTEGERS, 2 ** 32, -(2 ** 31) - 1, '1', null, 1n], (c: Hw, v) => call(c, v as number, VA), INVALID_ARGUMENT),
      bad('the low half not a 32-bit integer', [...NON_INTEGERS, 2 ** 32, null], (c: Hw, v) => call(c, 0, v as number), INVALID_ARGUMENT),
      ...(op.includes('64') ? [] : [bad(op.includes('ranslate') ? 'access not an Access' : 'size not one the access takes', op.includes('ranslate') ? [3, -1, NaN, 'read', null] : [0, 3, 8, 16, '4', null], (c: Hw, v) => call(c, 0, VA, v), INVALID_ARGUMENT)]),
    ]);
  }),
  ...(['writeHalves', 'tryWriteHalves'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('a half not a 32-bit integer', [...NON_INTEGERS, 2 ** 32, null], (c: Hw, v) => c.mmu[op](v as number, VA, 4, 1), INVALID_ARGUMENT),
      bad('size not 1, 2 or 4', [0, 3, 8, '4', null], (c: Hw, v) => c.mmu[op](0, VA, v as 4, 1), INVALID_ARGUMENT),
      bad('value not an integer', [...NON_INTEGERS, '1', null, 1n], (c: Hw, v) => c.mmu[op](0, VA, 4, v as number), INVALID_ARGUMENT),
    ]),
  ),
  ...(['write64Halves', 'tryWrite64Halves'] as const).map((op) =>
    row(`Mmu.${op}`, HW_FAULTING, [
      bad('an address or value half not a 32-bit integer', [...NON_INTEGERS, 2 ** 32, null], (c: Hw, v) => c.mmu[op](0, VA, v as number, 1), INVALID_ARGUMENT),
      bad("the value's low half not a 32-bit integer", [...NON_INTEGERS, null], (c: Hw, v) => c.mmu[op](0, VA, 0, v as number), INVALID_ARGUMENT),
    ]),
  ),
  row('Mmu.tryTranslate', HW_FAULTING, [
    bad('va not a canonical integer address: FAULTED', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => expectFaulted(c, c.mmu.tryTranslate(v as number, Access.Read) === FAULTED), PAGE_FAULT),
    bad('access not an Access', [3, -1, NaN, 'read', null, undefined], (c: Hw, v) => c.mmu.tryTranslate(VA, v as Access), INVALID_ARGUMENT),
  ]),
  row('Mmu.translate', HW_FAULTING, [
    bad('va not a canonical integer address', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => c.mmu.translate(v as number, Access.Read), PAGE_FAULT),
    bad('access not an Access', [3, -1, NaN, 'read', null, undefined], (c: Hw, v) => c.mmu.translate(VA, v as Access), INVALID_ARGUMENT),
  ]),
  row('Mmu.readBytes', HW_FAULTING, [
    bad('va not a canonical integer address: a fault, nothing read', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => c.mmu.readBytes(v as number, 8), PAGE_FAULT),
    bad('length not an integer in [0, 2^30]', [...NON_INTEGERS, -1, 2 ** 30 + 1, '8', null], (c: Hw, v) => c.mmu.readBytes(VA, v as number), INVALID_ARGUMENT),
    bad('into not a Uint8Array of at least length bytes', [new Uint8Array(7), new Uint16Array(8), [0, 0, 0, 0, 0, 0, 0, 0], null], (c: Hw, v) => c.mmu.readBytes(VA, 8, v as Uint8Array), INVALID_ARGUMENT),
  ]),
  row('Mmu.writeBytes', HW_FAULTING, [
    bad('va not a canonical integer address: a fault, nothing written', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => c.mmu.writeBytes(v as number, new Uint8Array(8).fill(0xee)), PAGE_FAULT),
    bad('data not a Uint8Array', [[1, 2], 'ab', null, undefined, new Uint16Array(2)], (c: Hw, v) => c.mmu.writeBytes(VA, v as Uint8Array), INVALID_ARGUMENT),
  ]),
  row('Mmu.copyBytes', HW_FAULTING, [
    bad('to not a canonical integer address: a fault, nothing written', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => c.mmu.copyBytes(v as number, VA, 8), PAGE_FAULT),
    bad('from not a canonical integer address: a fault, nothing written', BAD_VIRTUAL_NUMBERS, (c: Hw, v) => c.mmu.copyBytes(VA + 64, v as number, 8), PAGE_FAULT),
    bad('length not an integer in [0, 2^30]', [...NON_INTEGERS, -1, 2 ** 30 + 1, '8', null], (c: Hw, v) => c.mmu.copyBytes(VA + 64, VA, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.invalidatePage', HW, [bad('va not an address', [NaN, -1, 0.5, 2 ** 64, '0', null, undefined], (c: Hw, v) => c.mmu.invalidatePage(v as number), INVALID_ARGUMENT)]),
  row('Mmu.sfenceVma', HW, [
    bad('va neither null nor an address', [NaN, -1, 0.5, 2 ** 64, '0', undefined], (c: Hw, v) => c.mmu.sfenceVma(v as number, null), INVALID_ARGUMENT),
    bad('asid neither null nor an ASID', [NaN, -1, 0.5, 65536, '0', undefined], (c: Hw, v) => c.mmu.sfenceVma(null, v as number), INVALID_ARGUMENT),
    bad('both given, va bad', [NaN, -1, '0'], (c: Hw, v) => c.mmu.sfenceVma(v as number, 1), INVALID_ARGUMENT),
  ]),
  row('Mmu.invalidatePageOfAsid', HW, [
    bad('va not an address', [NaN, -1, 0.5, 2 ** 64, '0', null], (c: Hw, v) => c.mmu.invalidatePageOfAsid(v as number, 1), INVALID_ARGUMENT),
    bad('asid not an ASID', [NaN, -1, 0.5, 65536, '0', null], (c: Hw, v) => c.mmu.invalidatePageOfAsid(VA, v as number), INVALID_ARGUMENT),
  ]),
  row('Mmu.invalidateAsid', HW, [bad('asid not an ASID', [NaN, -1, 0.5, 65536, '0', null, undefined], (c: Hw, v) => c.mmu.invalidateAsid(v as number), INVALID_ARGUMENT)]),
  noArguments('Mmu.invalidateAll', HW),
  noArguments('Mmu.invalidateNonGlobal', HW),
  noArguments('Mmu.resetCycles', HW),
  row('Mmu.chargeCycles', HW, [bad('not a finite number >= 0', [NaN, Infinity, -1, '5', null, undefined, 5n], (c: Hw, v) => c.mmu.chargeCycles(v as number), INVALID_ARGUMENT)]),
  noArguments('Mmu.stats', HW),
  noArguments('Mmu.resetStats', HW),
  row('Mmu.setTracer', HW_TRACED, [
    bad('recorder neither a TraceRecorder nor null', [undefined, {}, 1, 'recorder', [], { events: () => [] }], (c: HwTraced, v) => c.mmu.setTracer(v as never), INVALID_ARGUMENT),
    bad('names not an object of non-empty strings of at most 200 characters', [null, 1, 'CPU', { process: '' }, { thread: 7 }, { process: 'x'.repeat(201) }, { cpu: 'x' }], (c: HwTraced, v) => c.mmu.setTracer(c.recorder, v as never), INVALID_ARGUMENT),
    bad('names without a recorder', [{ thread: 'x' }], (c: HwTraced, v) => c.mmu.setTracer(null, v as never), INVALID_ARGUMENT),
  ]),
  // The recorder's own entry points, once src/index.ts exports them (until then they are not public).
  ...(publicEntryPoints().includes('new TraceRecorder') ? TRACE_ROWS : []),
];

describe('bad arguments: hardware half (src/mmu)', () => {
  runTable(TABLE);
});

coverageTest('hardware', TABLE);

// fast-check over the physical accessors: any address that is not an integer in [0, 2^53) is an InvalidArgumentError.
describe('bad arguments: property checks', () => {
  runTable([
    row('PhysicalMemory.read32', HW, [bad('generated non-addresses', outside(0, 2 ** 53 - 1), (c: Hw, v) => c.memory.read32(v as number), INVALID_ARGUMENT)]),
    row('PhysicalMemory.writeBytes', HW, [bad('generated non-addresses', outside(0, 2 ** 53 - 1), (c: Hw, v) => c.memory.writeBytes(v as number, new Uint8Array(3)), INVALID_ARGUMENT)]),
    row('FrameAllocator.allocateMany', HW, [bad('generated non-counts', outside(0, 2 ** 53 - 1), (c: Hw, v) => c.frames.allocateMany(v as number), INVALID_ARGUMENT)]),
    row('PageTableBuilder.map', HW, [bad('generated non-addresses', fc.oneof(outside(0, 2 ** 48 - 1), fc.integer({ min: 1, max: 4095 }).map((o) => VA + o)), (c: Hw, v) => c.tables.map(v as number, 6 * PAGE), INVALID_ARGUMENT)]),
    row('Mmu.read32', HW_FAULTING, [bad('generated non-canonical numbers', outside(0, 2 ** 48 - 1, { types: false }), (c: Hw, v) => c.mmu.read32(v as number), PAGE_FAULT)]),
  ]);
});


afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`hardware bad arguments: ${TABLE.length} rows (entry points), ${counter.rows} tested, ${counter.calls} bad calls, each checked against a full snapshot`);
});
