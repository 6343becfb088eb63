// RISC-V Physical Memory Protection (privileged spec §3.7): matching (OFF, TOR, NA4, NAPOT),
// priority, partial matches, the L bit and M-mode, MPRV, page-table accesses checked as S-mode
// (§3.7.2), and access faults (scause 1, 5, 7) that change nothing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Access,
  FAULTED,
  FaultReason,
  FrameAllocator,
  InvalidArgumentError,
  Mmu,
  PageTableBuilder,
  PhysicalMemory,
  PmpConfig,
  PmpMatch,
  Privilege,
  type MmuMode,
} from '../../src/index.js';
import { faultOf } from './fault-of.js';
import { ramDigest } from './ram-digest.js';

const RAM = 0x8000_0000;
const PAGE = 4096;
const { R, W, X, L } = PmpConfig;
const napot = (base: number, size: number) => base / 4 + (size / 8 - 1); // pmpaddr of a NAPOT region
const mode = (m: number) => m << 3;

/** Sv39 hart with `entries` PMP entries, 1 MiB of RAM at 0x8000_0000, paging off (satp = Bare), S-mode. */
function hart(entries = 16, mmuMode: MmuMode = 'accurate') {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const mmu = new Mmu({ memory, format: 'sv39', pmpEntries: entries, mode: mmuMode });
  mmu.setPaging(false);
  return { memory, mmu };
}

describe('PMP matching and permissions (§3.7.1)', () => {
  it('with entries implemented and none configured, S and U accesses fail and M-mode ones succeed', () => {
    const { mmu } = hart();
    for (const privilege of [Privilege.Supervisor, Privilege.User]) {
      mmu.setPrivilege(privilege);
      expect(faultOf(() => mmu.read32(RAM))).toMatchObject({ reason: FaultReason.PmpViolation, vector: 5, physicalAddress: RAM });
      expect(faultOf(() => mmu.write32(RAM, 1))).toMatchObject({ vector: 7 });
      expect(faultOf(() => mmu.fetch32(RAM))).toMatchObject({ vector: 1 });
    }
    mmu.setPrivilege(Privilege.Machine);
    expect(mmu.read32(RAM)).toBe(0);
    mmu.write32(RAM, 5);
    expect(mmu.fetch32(RAM)).toBe(5);
  });

  it('without pmpEntries nothing is checked; x86 has no PMP', () => {
    const { mmu } = hart(0);
    expect(mmu.read32(RAM)).toBe(0);
    expect(mmu.pmpEntries).toBe(0);
    expect(mmu.readPmpcfg(3)).toBe(0);
    const x86 = new Mmu({ memory: new PhysicalMemory({ size: 1 << 20 }), format: 'x86-64' });
    expect(() => x86.writePmpcfg(0, R)).toThrow(InvalidArgumentError);
  });

  it('NAPOT, NA4 and TOR ranges; R, W and X each allow their access only', () => {
    const { mmu } = hart();
    mmu.writePmpaddr(0, RAM / 4 + 0x1000 / 4); // NA4 at RAM + 0x1000: read-only
    mmu.writePmpcfg(0, R | mode(PmpMatch.Na4));
    mmu.writePmpaddr(1, (RAM + 0x2000) / 4); // TOR: [pmpaddr0 * 4, pmpaddr1 * 4)
    mmu.writePmpcfg(1, X | R | mode(PmpMatch.Tor));
    mmu.writePmpaddr(2, napot(RAM + 0x8000, 0x8000)); // NAPOT 32 KiB at RAM + 0x8000: RW
    mmu.writePmpcfg(2, R | W | mode(PmpMatch.Napot));
    expect(mmu.read32(RAM + 0x1000)).toBe(0);
    expect(faultOf(() => mmu.write32(RAM + 0x1000, 1))).toMatchObject({ reason: FaultReason.PmpViolation, vector: 7 });
    // TOR of entry 1 is [pmpaddr0 * 4, pmpaddr1 * 4) = [RAM + 0x1000, RAM + 0x2000), below entry 0's NA4 in priority
    expect(mmu.fetch32(RAM + 0x1004)).toBe(0);
    expect(faultOf(() => mmu.fetch32(RAM + 0x1000))).toMatchObject({ vector: 1 }); // entry 0 matches first: no X
    expect(faultOf(() => mmu.write32(RAM + 0x1ffc, 1))).toMatchObject({ vector: 7 });
    mmu.write32(RAM + 0x8000, 7);
    mmu.write32(RAM + 0xfffc, 7);
    expect(faultOf(() => mmu.read32(RAM + 0x10000))).toMatchObject({ vector: 5 }); // past the NAPOT region
    expect(faultOf(() => mmu.fetch32(RAM + 0x8000))).toMatchObject({ vector: 1 });
  });

  it('an access that an entry matches only in part fails, whatever the entry allows', () => {
    const { mmu, memory } = hart();
    mmu.writePmpaddr(0, napot(RAM + 0x100, 8)); // 8 bytes RW
    mmu.writePmpcfg(0, R | W | mode(PmpMatch.Napot));
    mmu.writePmpaddr(1, napot(RAM, 0x100000)); // all of RAM RW, lower priority
    mmu.writePmpcfg(1, R | W | mode(PmpMatch.Napot));
    const digest = ramDigest(memory);
    const f = faultOf(() => mmu.write32(RAM + 0x106, 0x1234_5678)); // bytes 0x106..0x109: entry 0 matches two of them
    expect(f).toMatchObject({ reason: FaultReason.PmpViolation, vector: 7, physicalAddress: RAM + 0x106 });
    expect(ramDigest(memory)).toBe(digest); // nothing written
    expect(mmu.tryRead16(RAM + 0x107)).toBe(FAULTED);
    mmu.write32(RAM + 0x104, 1); // wholly inside entry 0
    mmu.write32(RAM + 0x108, 2); // wholly outside it: entry 1 decides
  });

  it('an access crossing a page boundary is checked as two accesses, one per page (a decomposition §3.7.1 allows)', () => {
    const { mmu, memory } = hart();
    mmu.writePmpaddr(0, napot(RAM, 0x1000)); // the first page RW
    mmu.writePmpcfg(0, R | W | mode(PmpMatch.Napot));
    mmu.writePmpaddr(1, napot(RAM, 0x2000)); // the first two, read-only
    mmu.writePmpcfg(1, R | mode(PmpMatch.Napot));
    mmu.write32(RAM + 0xffc, 1); // wholly in the first page
    const digest = ramDigest(memory);
    // Bytes 0xffe..0x1001: the first part is allowed, the second denied; the store writes nothing.
    expect(faultOf(() => mmu.write32(RAM + 0xffe, 0x1234_5678))).toMatchObject({ reason: FaultReason.PmpViolation, vector: 7, address: RAM + 0x1000 });
    expect(ramDigest(memory)).toBe(digest);
    expect(mmu.read32(RAM + 0xffe)).toBe(0); // both parts readable
  });

  it('L: a locked entry binds M-mode too and ignores writes; a locked TOR entry locks the address below it', () => {
    const { mmu } = hart();
    mmu.writePmpaddr(0, napot(RAM, 0x1000));
    mmu.writePmpcfg(0, R | mode(PmpMatch.Napot)); // unlocked, read-only
    mmu.setPrivilege(Privilege.Machine);
    mmu.write32(RAM, 1); // M-mode ignores an unlocked entry
    mmu.writePmpcfg(0, L | R | mode(PmpMatch.Napot));
    expect(faultOf(() => mmu.write32(RAM, 2))).toMatchObject({ reason: FaultReason.PmpViolation, vector: 7, privilege: Privilege.Machine });
    expect(mmu.read32(RAM)).toBe(1);
    mmu.writePmpcfg(0, R | W | mode(PmpMatch.Napot)); // ignored: locked
    mmu.writePmpaddr(0, napot(RAM + 0x4000, 0x1000)); // ignored
    expect(mmu.readPmpcfg(0)).toBe(L | R | mode(PmpMatch.Napot));
    expect(mmu.readPmpaddr(0)).toBe(BigInt(napot(RAM, 0x1000)));
    mmu.writePmpaddr(4, (RAM + 0x8000) / 4);
    mmu.writePmpaddr(5, (RAM + 0x9000) / 4);
    mmu.writePmpcfg(5, L | R | mode(PmpMatch.Tor));
    mmu.writePmpaddr(4, (RAM + 0x7000) / 4); // ignored: entry 5 is a locked TOR
    expect(mmu.readPmpaddr(4)).toBe(BigInt((RAM + 0x8000) / 4));
  });

  it('WARL: bits 6:5 read as zero, W without R is stored without W, unimplemented entries read zero', () => {
    const { mmu } = hart(8);
    mmu.writePmpcfg(0, 0x60 | W | X);
    expect(mmu.readPmpcfg(0)).toBe(X);
    mmu.writePmpcfg(12, R);
    mmu.writePmpaddr(12, 5);
    expect([mmu.readPmpcfg(12), mmu.readPmpaddr(12)]).toEqual([0, 0n]);
    mmu.writePmpaddr(1, (1n << 64n) - 1n);
    expect(mmu.readPmpaddr(1)).toBe((1n << 54n) - 1n); // RV64: bits 55:2 of an address
  });

  it('an M-mode load or store with MPRV is checked at MPP, a fetch at M', () => {
    const { mmu } = hart();
    mmu.writePmpaddr(0, napot(RAM, 0x1000));
    mmu.writePmpcfg(0, X | mode(PmpMatch.Napot)); // unlocked, execute only
    mmu.setPrivilege(Privilege.Machine);
    mmu.setModifyPrivilege(Privilege.Supervisor);
    mmu.setPaging(false);
    expect(faultOf(() => mmu.read32(RAM))).toMatchObject({ reason: FaultReason.PmpViolation, vector: 5, privilege: Privilege.Supervisor });
    expect(mmu.fetch32(RAM)).toBe(0);
    mmu.setModifyPrivilege(null);
    expect(mmu.read32(RAM)).toBe(0);
  });

  for (const mmuMode of ['accurate', 'fast'] as const) {
    it(`a PMP change takes effect at once, though the page was cached (${mmuMode})`, () => {
      const { mmu } = hart(16, mmuMode);
      mmu.writePmpaddr(0, napot(RAM, 0x100000));
      mmu.writePmpcfg(0, R | W | X | mode(PmpMatch.Napot));
      for (let i = 0; i < 3; i++) mmu.write32(RAM + 0x40, i); // cached now
      mmu.writePmpcfg(0, R | mode(PmpMatch.Napot));
      expect(mmu.tryWrite32(RAM + 0x40, 9)).toBe(false);
      expect(mmu.read32(RAM + 0x40)).toBe(2);
      expect(mmu.pmpAllows(RAM + 0x40, 4, Access.Write)).toBe(false);
      expect(mmu.pmpAllows(RAM + 0x40, 4, Access.Write, Privilege.Machine)).toBe(true);
    });
  }

  it('bulk access checks every page before writing any', () => {
    const { mmu, memory } = hart();
    mmu.writePmpaddr(0, napot(RAM, 0x2000));
    mmu.writePmpcfg(0, R | W | mode(PmpMatch.Napot));
    const digest = ramDigest(memory);
    expect(faultOf(() => mmu.writeBytes(RAM + 0x1000, new Uint8Array(0x1800).fill(7)))).toMatchObject({ reason: FaultReason.PmpViolation, address: RAM + 0x2000 });
    expect(ramDigest(memory)).toBe(digest);
    expect(mmu.readBytes(RAM + 0x800, 0x1000).length).toBe(0x1000);
  });
});

describe('PMP and paging (§3.7.2): page-table accesses are S-mode accesses', () => {
  function paged() {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const frames = new FrameAllocator(memory);
    const tables = new PageTableBuilder(memory, 'sv39', frames);
    const data = frames.allocate() * PAGE;
    tables.map(0x40_0000, data, { writable: true, user: true, accessed: false, dirty: false });
    const mmu = new Mmu({ memory, format: 'sv39', pmpEntries: 16, controls: { hardwareAD: true } }); // Svadu: the walk writes A and D
    mmu.setRoot(tables.root, 1);
    mmu.setPrivilege(Privilege.User);
    return { memory, tables, mmu, data };
  }

  it('a page-table read PMP denies is an access fault of the access, at that entry', () => {
    const { mmu, tables, data } = paged();
    // Data page allowed to S/U; the tables are not covered: every walk fails at its root entry.
    mmu.writePmpaddr(0, napot(data, PAGE));
    mmu.writePmpcfg(0, R | W | mode(PmpMatch.Napot));
    const f = faultOf(() => mmu.write32(0x40_0000, 1));
    expect(f).toMatchObject({ reason: FaultReason.PmpViolation, vector: 7, level: 0, pageTableAccess: 'read', root: tables.root });
    expect(f.physicalAddress - tables.root).toBeLessThan(PAGE);
    // Cover RAM with a read-only entry of lower priority: the walk reads, but the A/D write-back is denied.
    mmu.writePmpaddr(1, napot(RAM, 0x100000));
    mmu.writePmpcfg(1, R | mode(PmpMatch.Napot));
    const g = faultOf(() => mmu.write32(0x40_0000, 1));
    expect(g).toMatchObject({ reason: FaultReason.PmpViolation, vector: 7, level: 2, pageTableAccess: 'write' });
    mmu.writePmpcfg(1, R | W | mode(PmpMatch.Napot));
    mmu.write32(0x40_0000, 1);
    expect(mmu.read32(0x40_0000)).toBe(1);
  });

  it('even M-mode with MPRV walks as S: an unlocked entry that denies S stops its walk', () => {
    const { mmu, data } = paged();
    mmu.writePmpaddr(0, napot(data, PAGE));
    mmu.writePmpcfg(0, R | W | mode(PmpMatch.Napot));
    mmu.setPrivilege(Privilege.Machine);
    expect(mmu.read32(data)).toBe(0); // untranslated M-mode: the NAPOT entry is unlocked
    mmu.setModifyPrivilege(Privilege.User);
    expect(faultOf(() => mmu.read32(0x40_0000))).toMatchObject({ reason: FaultReason.PmpViolation, pageTableAccess: 'read', vector: 5 });
  });
});

describe('property: the MMU agrees with a reference reading of §3.7.1', () => {
  /** The spec's rule, written out with bigints, independently of src/mmu/pmp.ts. */
  function reference(cfg: number[], addr: bigint[], pa: number, size: number, access: Access, privilege: Privilege): boolean {
    const lo = BigInt(pa);
    const hi = lo + BigInt(size);
    for (let i = 0; i < cfg.length; i++) {
      const a = (cfg[i] >> 3) & 3;
      let start: bigint;
      let end: bigint;
      if (a === 0) continue;
      if (a === 1) {
        start = i === 0 ? 0n : addr[i - 1] * 4n;
        end = addr[i] * 4n;
      } else if (a === 2) {
        start = addr[i] * 4n;
        end = start + 4n;
      } else {
        let t = 0n;
        while ((addr[i] >> t) & 1n) t++;
        start = (addr[i] >> t << t) * 4n;
        end = start + (1n << (t + 3n));
      }
      const anyByte = lo < end && hi > start;
      if (!anyByte) continue;
      if (lo < start || hi > end) return false;
      if (privilege === Privilege.Machine && (cfg[i] & 0x80) === 0) return true;
      const bit = access === Access.Read ? 1 : access === Access.Write ? 2 : 4;
      return (cfg[i] & bit) !== 0;
    }
    return privilege === Privilege.Machine;
  }

  it('for random entries, privileges and accesses (paging off), in both modes', () => {
    const entry = fc.record({
      cfg: fc.integer({ min: 0, max: 0xff }).map((c) => c & 0x9f),
      // Addresses around RAM: granules of the first 64 KiB, or a NAPOT mask over it.
      offset: fc.integer({ min: 0, max: 0x4000 }),
      ones: fc.integer({ min: 0, max: 16 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom<MmuMode>('accurate', 'fast'),
        fc.array(entry, { minLength: 0, maxLength: 6 }),
        fc.array(
          fc.record({
            offset: fc.integer({ min: 0, max: 0x10000 - 4 }),
            size: fc.constantFrom(1, 2, 4),
            access: fc.constantFrom(Access.Read, Access.Write, Access.Execute),
            privilege: fc.constantFrom(Privilege.Supervisor, Privilege.User, Privilege.Machine),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (mmuMode, entries, accesses) => {
          const { mmu } = hart(8, mmuMode);
          const cfg = new Array<number>(8).fill(0);
          const addr = new Array<bigint>(8).fill(0n);
          entries.forEach((e, i) => {
            const base = RAM / 4 + e.offset;
            const value = e.ones === 0 ? base : (base & ~((1 << e.ones) - 1)) | ((1 << e.ones) - 1) >>> 1;
            mmu.writePmpaddr(i, value);
            mmu.writePmpcfg(i, e.cfg);
            addr[i] = mmu.readPmpaddr(i);
            cfg[i] = mmu.readPmpcfg(i);
          });
          for (const a of accesses) {
            mmu.setPrivilege(a.privilege);
            const pa = RAM + a.offset;
            const want = reference(cfg, addr, pa, a.size, a.access, a.privilege);
            expect(mmu.pmpAllows(pa, a.size, a.access)).toBe(want);
            let ok: boolean;
            if (a.access === Access.Write) ok = a.size === 4 ? mmu.tryWrite32(pa, 1) : a.size === 2 ? mmu.tryWrite16(pa, 1) : mmu.tryWrite8(pa, 1);
            else if (a.access === Access.Read) ok = (a.size === 4 ? mmu.tryRead32(pa) : a.size === 2 ? mmu.tryRead16(pa) : mmu.tryRead8(pa)) !== FAULTED;
            else ok = (a.size === 4 ? mmu.tryFetch32(pa) : a.size === 2 ? mmu.tryFetch16(pa) : mmu.tryFetch8(pa)) !== FAULTED;
            expect(ok).toBe(want);
            if (!ok) expect(mmu.faultRecord).toMatchObject({ reason: FaultReason.PmpViolation, vector: a.access === Access.Execute ? 1 : a.access === Access.Write ? 7 : 5 });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('PMP with the wide accessors and with the identity translation cache', () => {
  it('a wide access above 2^53 (Sv57 upper half) is checked, and its fault has the exact address', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const frames = new FrameAllocator(memory);
    const tables = new PageTableBuilder(memory, 'sv57', frames);
    const kernel = 0xff60_0000_0000_0000n;
    const data = frames.allocate() * PAGE;
    tables.map(Number(BigInt.asUintN(57, kernel)), data, { writable: true, accessed: true, dirty: true }); // no A/D write-back: RAM is read-only below
    const mmu = new Mmu({ memory, format: 'sv57', pmpEntries: 16 });
    mmu.setRoot(tables.root, 1);
    mmu.writePmpaddr(0, napot(RAM, 0x100000)); // RAM readable, not writable, to S
    mmu.writePmpcfg(0, R | mode(PmpMatch.Napot));
    expect(mmu.readN(kernel + 0x10n, 4)).toBe(0n);
    expect(mmu.tryWriteN(kernel + 0x13n, 4, 1n)).toBe(false);
    expect(mmu.faultRecord).toMatchObject({ reason: FaultReason.PmpViolation, vector: 7, physicalAddress: data + 0x13 });
    expect(mmu.faultRecord.addressBig).toBe(BigInt.asUintN(57, kernel) + 0x13n);
  });

  for (const mmuMode of ['accurate', 'fast'] as const) {
    it(`untranslated slots filled in M-mode do not answer S-mode accesses PMP denies (${mmuMode})`, () => {
      const { mmu } = hart(16, mmuMode);
      mmu.writePmpaddr(0, napot(RAM, 0x100000));
      mmu.writePmpcfg(0, R | mode(PmpMatch.Napot)); // unlocked: binds S and U only
      mmu.setPrivilege(Privilege.Machine);
      for (let i = 0; i < 3; i++) mmu.write32(RAM + 0x40, i); // an identity slot, writable in M-mode
      mmu.setPrivilege(Privilege.Supervisor); // paging is off: the same identity cache
      expect(mmu.tryWrite32(RAM + 0x40, 9)).toBe(false);
      expect(mmu.faultRecord).toMatchObject({ reason: FaultReason.PmpViolation, privilege: Privilege.Supervisor });
      expect(mmu.read32(RAM + 0x40)).toBe(2);
      mmu.setPrivilege(Privilege.Machine);
      mmu.write32(RAM + 0x40, 3);
    });
  }
});
