// The whole address range (issue 14): accessors that take a 64-bit register as a BigInt or as two
// 32-bit halves, check canonicality as the hardware does (RISC-V privileged spec §4.5-4.6: bits 63
// down to vaBits - 1 equal, or a page fault; Intel SDM Vol. 3A §3.3.7.1: #GP), and are exact above
// 2^53, where Sv57's and 5-level paging's upper half lies.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  FAULTED,
  FaultReason,
  FaultResolution,
  FrameAllocator,
  Mmu,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  TranslationFault,
  type FaultRecord,
  type FormatName,
  type MmuMode,
} from '../../src/index.js';
import { faultOf } from './fault-of.js';
import { ramDigest } from './ram-digest.js';

const PAGE = 4096;
const RAM = 0x8000_0000;
/** Sv57's upper half, where Linux maps its kernel with 5-level paging (bits 63:56 all ones). */
const KERNEL = 0xff60_0000_0000_0000n;
const low57 = (va: bigint) => Number(BigInt.asUintN(57, va));
const halves = (va: bigint): [number, number] => [Number(BigInt.asUintN(64, va) >> 32n), Number(va & 0xffff_ffffn)];


/** Sv57 with two adjacent upper-half pages mapped (frames a, b) and the page after them unmapped. */
function sv57(mode: MmuMode = 'accurate') {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const frames = new FrameAllocator(memory);
  const tables = new PageTableBuilder(memory, 'sv57', frames);
  const a = frames.allocate() * PAGE;
  const b = frames.allocate() * PAGE;
  tables.map(low57(KERNEL), a, { writable: true, executable: true });
  tables.map(low57(KERNEL) + PAGE, b, { writable: true });
  const mmu = new Mmu({ memory, format: 'sv57', mode });
  mmu.setRoot(tables.root, 1);
  return { memory, frames, tables, mmu, a, b };
}

describe('BigInt and 32-bit-halves addresses in the upper half of Sv57 (above 2^53)', () => {
  for (const mode of ['accurate', 'fast'] as const) {
    it(`reads, writes, fetches and translates exactly, in both forms (${mode})`, () => {
      const { mmu, memory, a } = sv57(mode);
      mmu.writeN(KERNEL + 0x10n, 8, 0x1122_3344_5566_7788n);
      expect(memory.read32(a + 0x10)).toBe(0x5566_7788);
      expect(memory.read32(a + 0x14)).toBe(0x1122_3344);
      expect(mmu.readN(KERNEL + 0x10n, 8)).toBe(0x1122_3344_5566_7788n);
      expect(mmu.readN(KERNEL + 0x13n, 2)).toBe(0x4455n);
      expect(mmu.readN(KERNEL + 0x17n, 1)).toBe(0x11n);
      expect(mmu.translateN(KERNEL + 0x123n, Access.Write)).toBe(a + 0x123);
      const [high, low] = halves(KERNEL);
      expect(mmu.readHalves(high, low + 0x14, 4)).toBe(0x1122_3344);
      expect(mmu.readHalves(high | 0, (low + 0x10) | 0, 2)).toBe(0x7788); // signed halves are the same register
      expect(mmu.read64Halves(high, low + 0x10)).toBe(0x5566_7788);
      expect(mmu.readHigh).toBe(0x1122_3344);
      mmu.writeHalves(high, low + 0x20, 4, 0xdead_beef);
      mmu.write64Halves(high, low + 0x28, 0x0102_0304, 0x0506_0708);
      expect(memory.read32(a + 0x20)).toBe(0xdead_beef);
      expect(memory.read32(a + 0x28)).toBe(0x0506_0708);
      expect(memory.read32(a + 0x2c)).toBe(0x0102_0304);
      memory.write32(a + 0x40, 0x0000_0513); // an instruction word
      expect(mmu.fetchN(KERNEL + 0x40n, 4)).toBe(0x513n);
      expect(mmu.fetchHalves(high, low + 0x40, 2)).toBe(0x513);
      expect(mmu.translateHalves(high, low + 0x44, Access.Execute)).toBe(a + 0x44);
    });

    it(`an access crossing into the next page reads both, writes both, and faults at the next page's first byte (${mode})`, () => {
      const { mmu, memory, a, b } = sv57(mode);
      memory.write32(a + 0xffc, 0x4433_2211);
      memory.write32(b, 0x8877_6655);
      expect(mmu.readN(KERNEL + 0xffen, 4)).toBe(0x6655_4433n);
      memory.write8(b + 4, 0x99);
      expect(mmu.readN(KERNEL + 0xffdn, 8)).toBe(0x9988_7766_5544_3322n);
      expect(mmu.read64Halves(...halves(KERNEL + 0xffdn))).toBe(0x5544_3322);
      expect(mmu.readHigh).toBe(0x9988_7766);
      mmu.writeN(KERNEL + 0xffen, 4, 0xaabb_ccddn);
      expect(memory.read16(a + 0xffe)).toBe(0xccdd);
      expect(memory.read16(b)).toBe(0xaabb);
      // The third page is not mapped: a write crossing into it faults there and writes nothing.
      const digest = ramDigest(memory);
      const f = faultOf(() => mmu.writeN(KERNEL + 0x1ffen, 4, 0x1234_5678n));
      expect(f.reason).toBe(FaultReason.NotPresent);
      expect(f.addressBig).toBe(BigInt(low57(KERNEL)) + 0x2000n);
      expect(ramDigest(memory)).toBe(digest);
    });
  }

  it('a fault records its exact address in the halves, the summary and the handler\'s record', () => {
    const { mmu } = sv57();
    const seen: bigint[] = [];
    mmu.faultHandler = {
      handleFault: () => FaultResolution.Deliver,
      handleFaultRecord: (record: FaultRecord) => {
        seen.push(record.addressBig);
        return FaultResolution.Deliver;
      },
    };
    const va = KERNEL + 0x5007n; // page 5: not mapped
    expect(mmu.tryReadN(va, 1)).toBe(-1n);
    const exact = BigInt.asUintN(57, va);
    expect(seen).toEqual([exact]);
    expect(mmu.faultRecord.addressBig).toBe(exact);
    expect(mmu.faultRecord.addressHigh * 2 ** 32 + mmu.faultRecord.addressLow).toBe(Number(exact)); // the number rounds
    expect(exact % 16n).not.toBe(0n); // ... which this address would lose: 0x...5007
    const f = faultOf(() => mmu.readN(va, 1));
    expect(f.addressBig).toBe(exact);
    expect(f.toString()).toContain(`0x${exact.toString(16)}`);
    expect(f.toJSON()).toMatchObject({ addressHigh: Number(exact >> 32n), addressLow: Number(exact & 0xffff_ffffn) });
  });

  it('a handler\'s own accesses during a wide access record their own addresses', () => {
    const { mmu, a } = sv57();
    let inner = -1n;
    mmu.faultHandler = {
      handleFault: () => FaultResolution.Deliver,
      handleFaultRecord: (_record: FaultRecord, m: Mmu) => {
        if (inner === -1n) {
          inner = 0n;
          expect(m.tryRead32(0x1000)).toBe(FAULTED); // an unmapped low page
          inner = m.faultRecord.addressBig;
        }
        return FaultResolution.Deliver;
      },
    };
    expect(mmu.tryReadN(KERNEL + 0x9008n, 4)).toBe(-1n);
    expect(inner).toBe(0x1000n);
    expect(mmu.faultRecord.addressBig).toBe(BigInt.asUintN(57, KERNEL) + 0x9008n); // put back after the handler
    expect(a).toBeGreaterThan(0);
  });

  it('property: an upper-half access behaves as the same access at the bottom of the address space, through the number API, in both modes', () => {
    // KERNEL's bits 47:0 are zero: the same set indices and walk-cache tags, the same number of
    // levels walked: values, faults and every TLB and walk count agree.
    fc.assert(
      fc.property(
        fc.constantFrom<MmuMode>('accurate', 'fast'),
        fc.array(
          fc.record({
            page: fc.integer({ min: 0, max: 5 }),
            offset: fc.integer({ min: 0, max: PAGE - 1 }),
            size: fc.constantFrom<1 | 2 | 4>(1, 2, 4),
            kind: fc.constantFrom('read', 'write', 'fetch', 'translate'),
            user: fc.boolean(),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        (mode, ops) => {
          const build = (base: number) => {
            const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
            const frames = new FrameAllocator(memory);
            const tables = new PageTableBuilder(memory, 'sv57', frames);
            const data: number[] = [];
            for (let p = 0; p < 4; p++) {
              data.push(frames.allocate() * PAGE);
              tables.map(base + p * PAGE, data[p], { writable: p !== 2, executable: p === 1, user: p === 3 });
            }
            const mmu = new Mmu({ memory, format: 'sv57', mode });
            mmu.setRoot(tables.root, 1);
            // The data pages' bytes (the tables differ: the two addresses index different root entries).
            const contents = () => data.map((pa) => Array.from(memory.bytes.subarray(pa - RAM, pa - RAM + PAGE)).join());
            return { memory, mmu, contents };
          };
          const high = build(low57(KERNEL));
          const low = build(0);
          for (const op of ops) {
            const offsetBig = BigInt(op.page * PAGE + op.offset);
            const lowVa = op.page * PAGE + op.offset;
            for (const m of [high.mmu, low.mmu]) m.setPrivilege(op.user ? Privilege.User : Privilege.Supervisor);
            let got: number | bigint;
            let want: number;
            if (op.kind === 'read') {
              got = high.mmu.tryReadN(KERNEL + offsetBig, op.size);
              want = op.size === 4 ? low.mmu.tryRead32(lowVa) : op.size === 2 ? low.mmu.tryRead16(lowVa) : low.mmu.tryRead8(lowVa);
              expect(got).toBe(want === FAULTED ? -1n : BigInt(want));
            } else if (op.kind === 'write') {
              got = high.mmu.tryWriteN(KERNEL + offsetBig, op.size, 0x5a5a_5a5an) ? 1 : 0;
              const value = 0x5a5a_5a5a % 2 ** (8 * op.size);
              want = (op.size === 4 ? low.mmu.tryWrite32(lowVa, value) : op.size === 2 ? low.mmu.tryWrite16(lowVa, value) : low.mmu.tryWrite8(lowVa, value)) ? 1 : 0;
              expect(got).toBe(want);
            } else if (op.kind === 'fetch') {
              const size = op.size === 1 ? 2 : op.size;
              got = high.mmu.tryFetchN(KERNEL + offsetBig, size);
              want = size === 4 ? low.mmu.tryFetch32(lowVa) : low.mmu.tryFetch16(lowVa);
              expect(got).toBe(want === FAULTED ? -1n : BigInt(want));
            } else {
              got = high.mmu.tryTranslateN(KERNEL + offsetBig, Access.Write);
              want = low.mmu.tryTranslate(lowVa, Access.Write);
              expect(got).toBe(want);
            }
            if (high.mmu.faultRecord.sequence > 0 || low.mmu.faultRecord.sequence > 0) {
              expect(high.mmu.faultRecord.vector).toBe(low.mmu.faultRecord.vector);
              expect(high.mmu.faultRecord.addressBig - low.mmu.faultRecord.addressBig).toBe(BigInt.asUintN(57, KERNEL));
            }
          }
          const [h, l] = [high.mmu.stats(), low.mmu.stats()];
          expect({ ...h, tlb: undefined }).toEqual({ ...l, tlb: undefined });
          expect(h.tlb).toEqual(l.tlb);
          expect(high.contents()).toEqual(low.contents());
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('canonical addresses of every 64-bit format', () => {
  const cases: readonly [FormatName, number, number][] = [
    ['sv39', 39, RAM],
    ['sv48', 48, RAM],
    ['sv57', 57, RAM],
    ['x86-64', 48, 0],
    ['x86-64-la57', 57, 0],
  ];
  for (const [format, vaBits, base] of cases) {
    it(`${format}: the upper half is the low ${vaBits} bits; a non-canonical value faults with its exact 64-bit address`, () => {
      const memory = new PhysicalMemory({ size: 1 << 20, base });
      const frames = new FrameAllocator(memory);
      const tables = new PageTableBuilder(memory, format, frames);
      const top = 2n ** BigInt(vaBits) - 0x1000n; // the last page: sign-extended, -4096
      const frame = frames.allocate() * PAGE;
      tables.map(Number(top), frame, { writable: true });
      memory.write32(frame + 0x10, 0xc0ffee);
      const mmu = new Mmu({ memory, format });
      mmu.setRoot(tables.root, 1);
      expect(mmu.readN(-0x1000n + 0x10n, 4)).toBe(0xc0ffeen); // the register value -4080
      expect(mmu.readN(0xffff_ffff_ffff_f010n, 4)).toBe(0xc0ffeen);
      expect(mmu.readHalves(-1, -0x1000 + 0x10, 4)).toBe(0xc0ffee);
      const architecture = format.startsWith('x86') ? 'x86' : 'riscv';
      for (const bad of [1n << BigInt(vaBits - 1), 0x8000_0000_0000_0000n, (1n << 63n) | (1n << BigInt(vaBits)) ]) {
        const f = faultOf(() => mmu.readN(bad, 4));
        expect(f).toMatchObject({ reason: FaultReason.NonCanonical, vector: 13 }); // #GP, or a load page fault
        expect(f.addressBig).toBe(bad);
        const w = faultOf(() => mmu.writeN(bad, 2, 1n));
        expect(w.vector).toBe(architecture === 'x86' ? 13 : 15);
        const x = faultOf(() => mmu.fetchN(bad, 4));
        expect(x.vector).toBe(architecture === 'x86' ? 13 : 12);
      }
    });
  }

  it('32-bit formats take the low half, as a 32-bit CPU has no other', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const tables = new PageTableBuilder(memory, 'x86-32', new FrameAllocator(memory));
    tables.map(0x40_0000, 0x8000, { writable: true });
    memory.write32(0x8004, 77);
    const mmu = new Mmu({ memory, format: 'x86-32' });
    mmu.setRoot(tables.root, 0);
    expect(mmu.readHalves(0x1234, 0x40_0004, 4)).toBe(77);
    expect(mmu.readN(0xffff_ffff_0040_0004n, 4)).toBe(77n);
  });

  it('untranslated, the whole 64-bit value is physical: at or above 2^53 a bus error with the exact address', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    memory.write32(RAM + 8, 99);
    const mmu = new Mmu({ memory, format: 'sv57' });
    mmu.setPrivilege(Privilege.Machine);
    expect(mmu.readN(BigInt(RAM + 8), 4)).toBe(99n);
    const bad = 0xff60_0000_0000_0123n;
    const f = faultOf(() => mmu.readN(bad, 4));
    expect(f).toMatchObject({ reason: FaultReason.BusError, vector: 5, root: -1 });
    expect(f.addressBig).toBe(bad);
    expect(faultOf(() => mmu.writeHalves(0xff60_0000, 0x123, 4, 1))).toMatchObject({ reason: FaultReason.BusError, vector: 7 });
  });
});

describe('fault address halves', () => {
  it('are derived from the address by TranslationFault.create and kept by toFault()', () => {
    const f = TranslationFault.create('x86', 0x1234_5678_9abc, Access.Read, Privilege.User, FaultReason.NotPresent, 3, 1, false);
    expect([f.addressHigh, f.addressLow]).toEqual([0x1234, 0x5678_9abc]);
    expect(f.addressBig).toBe(0x1234_5678_9abcn);
    const g = TranslationFault.create('riscv', Number.NaN, Access.Read, Privilege.User, FaultReason.NonCanonical, -1, 1, false);
    expect([g.addressHigh, g.addressLow]).toEqual([0, 0]);
  });
});

describe('accesses that cross the end of a half of the address space (review of issue 14)', () => {
  // x86-64 (SDM Vol. 1 §3.3.7.1) and Sv39/Sv48/Sv57 (privileged spec §4.4.1): bits 63 down to
  // vaBits - 1 must be equal. Running off the top of the lower half reaches a non-canonical
  // address; running off the top of the upper half wraps, modulo 2^64, to 0, which is canonical.
  const cases: readonly [FormatName, number, number][] = [
    ['x86-64', 48, 0],
    ['sv39', 39, RAM],
    ['sv57', 57, RAM],
  ];
  for (const [format, vaBits, base] of cases) {
    it(`${format}: off the lower half is a NonCanonical fault that writes nothing; off the upper half wraps to 0`, () => {
      const memory = new PhysicalMemory({ size: 1 << 20, base });
      const frames = new FrameAllocator(memory);
      const tables = new PageTableBuilder(memory, format, frames);
      const half = 2 ** (vaBits - 1);
      const top = 2 ** vaBits;
      const pages = [half - PAGE, half, top - PAGE, 0].map((va) => {
        const pa = frames.allocate() * PAGE;
        tables.map(va, pa, { writable: true });
        return pa;
      });
      memory.write32(pages[2] + PAGE - 4, 0x4433_2211); // the last bytes of the address space
      memory.write32(pages[3], 0x8877_6655); // the first ones
      const mmu = new Mmu({ memory, format });
      mmu.setRoot(tables.root, 1);
      const data = () => [pages[0], pages[1]].map((pa) => memory.readBytes(pa, PAGE).join());
      const before = data();
      const numbersExact = vaBits <= 53; // Sv57's 2^56 - 2 is not a number: there the wide forms only
      if (numbersExact) {
        // The lower half's last bytes and the non-canonical first byte past them.
        const f = faultOf(() => mmu.write32(half - 2, 0xdead_beef));
        expect(f).toMatchObject({ reason: FaultReason.NonCanonical, address: half, level: -1 });
        expect(faultOf(() => mmu.read32(half - 2)).reason).toBe(FaultReason.NonCanonical);
        expect(faultOf(() => mmu.readBytes(half - PAGE, 2 * PAGE)).reason).toBe(FaultReason.NonCanonical);
      }
      const lowerTop = BigInt(half) - 2n; // the register value 0x0000_7fff_ffff_fffe on x86-64
      const w = faultOf(() => mmu.writeN(lowerTop, 8, 1n));
      expect(w).toMatchObject({ reason: FaultReason.NonCanonical });
      expect(w.addressBig).toBe(BigInt(half)); // zero-extended: the address that is not canonical
      expect(faultOf(() => mmu.readN(lowerTop, 4)).reason).toBe(FaultReason.NonCanonical);
      expect(data()).toEqual(before); // neither page written
      // The upper half's last bytes wrap to address 0.
      expect(mmu.readN(-2n, 4)).toBe(0x6655_4433n);
      expect(mmu.readN(-4n, 8)).toBe(0x8877_6655_4433_2211n);
      expect(mmu.readHalves(-1, -2, 2)).toBe(0x4433);
      if (numbersExact) {
        expect(mmu.read32(top - 2)).toBe(0x6655_4433);
        expect(mmu.readBytes(top - 4, 8)).toEqual(new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]));
      }
    });
  }
});

describe('bus errors of wide accesses are recorded at the byte that reached no device', () => {
  it('a crossing access and the second word of an eight-byte access, in both number and wide forms', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const frames = new FrameAllocator(memory);
    const tables = new PageTableBuilder(memory, 'x86-64', frames);
    tables.map(0x1000, frames.allocate() * PAGE, { writable: true });
    tables.map(0x2000, 0x4000_0000, { writable: true }); // no device at that physical address
    const mmu = new Mmu({ memory, format: 'x86-64' });
    mmu.setRoot(tables.root, 1);
    for (const action of [() => mmu.read32(0x1ffe), () => mmu.readN(0x1ffen, 4), () => mmu.readN(0x1ffcn, 8), () => mmu.writeN(0x1ffcn, 8, 1n), () => mmu.readHalves(0, 0x1ffe, 4)]) {
      const f = faultOf(action);
      expect(f).toMatchObject({ reason: FaultReason.BusError, address: 0x2000, physicalAddress: 0x4000_0000 });
      expect([f.addressHigh, f.addressLow]).toEqual([0, 0x2000]);
    }
  });
});
