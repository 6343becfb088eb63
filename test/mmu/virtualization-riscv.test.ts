/**
 * The MMU running RISC-V virtual machines (H extension): V=1 accesses through both stages, TLB
 * entries tagged with the VMID and the guest ASID, the fences, HLV/HLVX/HSV, and the faults a
 * hypervisor needs (scause, htval, htinst). The reference for every translation is a separate
 * RiscvTwoStageWalker over the same tables: a combined TLB entry must always give what the two
 * walks give.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Access,
  FAULTED,
  FaultReason,
  FaultResolution,
  GStageMode,
  GuestFaultStage,
  HtinstPseudo,
  InvalidArgumentError,
  MachineSnapshots,
  Mmu,
  PageFaultError,
  PhysicalMemory,
  PmpConfig,
  PmpMatch,
  Privilege,
  RiscvTwoStageWalker,
  SV39,
  TwoStageWalkResult,
  defaultControls,
  type TranslationFault,
} from '../../src/index.js';
import { missCosts, runThenLeave } from './guest-run.js';

const RAM = 0x8000_0000;
const V = 1, R = 2, W = 4, X = 8, U = 16, G = 32, A = 64, D = 128;

/** One machine: host frames handed out upwards, PTEs written by hand (the walkers are what is tested). */
class Board {
  readonly memory = new PhysicalMemory({ size: 32 << 20, base: RAM });
  private next = RAM + 0x10_0000;

  frames(n = 1, align = 4096): number {
    this.next = Math.ceil(this.next / align) * align;
    const at = this.next;
    this.next += n * 4096;
    return at;
  }

  pte(at: number, pa: number, flags: number): void {
    const ppn = pa / 4096;
    this.memory.write32(at, ((ppn * 1024) % 2 ** 32) + flags);
    this.memory.write32(at + 4, Math.floor(ppn / 2 ** 22));
  }

  private target(at: number): number {
    return ((this.memory.read32(at) >>> 10) + this.memory.read32(at + 4) * 2 ** 22) * 4096;
  }

  /**
   * Maps 4 KiB page `va` → `pa` in a 3-level table whose tables live where `place` puts them:
   * `tableAt(gpaOrPa)` turns a table's address (as entries name it) into where its bytes are.
   */
  map3(root: number, va: number, pa: number, flags: number, rootIndexBits: number, newTable: () => number, bytesAt: (a: number) => number): number {
    let table = root;
    const idx = [Math.floor(va / 2 ** 30) % 2 ** rootIndexBits, Math.floor(va / 2 ** 21) % 512, Math.floor(va / 4096) % 512];
    for (let level = 0; level < 2; level++) {
      const at = bytesAt(table) + idx[level] * 8;
      if ((this.memory.read32(at) & V) === 0) this.pte(at, newTable(), V);
      table = this.target(at);
    }
    const leaf = bytesAt(table) + idx[2] * 8;
    this.pte(leaf, pa, flags);
    return leaf;
  }
}

/** A guest: G-stage Sv39x4 tables, guest RAM at GPA 0 backed by host frames, VS-stage Sv39 tables in guest RAM. */
class Guest {
  readonly gRoot: number;
  readonly ramSpa: number;
  vsRoot = 0;
  private gpaNext = 0x1_0000;

  constructor(
    readonly board: Board,
    readonly vmid: number,
    readonly guestPages = 1024,
  ) {
    this.gRoot = board.frames(4, 0x4000);
    this.ramSpa = board.frames(guestPages);
    for (let i = 0; i < guestPages; i++) this.gmap(i * 4096, this.ramSpa + i * 4096, R | W | X);
    this.vsRoot = this.gpaFrame();
  }

  /** G-stage: GPA page → SPA page with `rights` (U, A and D always set). */
  gmap(gpa: number, spa: number, rights: number): number {
    return this.board.map3(this.gRoot, gpa, spa, V | rights | U | A | D, 11, () => this.board.frames(), (a) => a);
  }

  /** A fresh guest-physical frame from guest RAM. */
  gpaFrame(): number {
    const at = this.gpaNext;
    this.gpaNext += 4096;
    return at;
  }

  spaOf(gpa: number): number {
    return this.ramSpa + gpa;
  }

  /** VS-stage: GVA page → GPA page with `flags` (A and D set unless asked otherwise). */
  vsmap(gva: number, gpa: number, flags: number): number {
    return this.board.map3(this.vsRoot, gva, gpa, V | flags, 9, () => this.gpaFrame(), (g) => this.spaOf(g));
  }

  enter(mmu: Mmu, vs: boolean): void {
    mmu.setHgatp(GStageMode.Sv39x4, this.gRoot, this.vmid);
    mmu.setGuestRoot(vs ? 'sv39' : null, vs ? this.vsRoot : 0, 0);
  }
}

function faultOf(run: () => unknown): TranslationFault {
  try {
    run();
  } catch (e) {
    if (e instanceof PageFaultError) return e.fault;
    throw e;
  }
  throw new Error('expected a page fault');
}

describe('RISC-V V=1 accesses', () => {
  it('translate through both stages (a cold walk: 10 references and 3 walk-cache hits for Sv39 over Sv39x4, where 15 would be read without caches), then TLB hits', () => {
    const board = new Board();
    const guest = new Guest(board, 5);
    guest.vsmap(0x40_0000, 0x20_0000, R | W | A | D);
    board.memory.write32(guest.spaOf(0x20_0000) + 8, 0xfeed);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    guest.enter(mmu, true);
    mmu.setVirtualized(true);
    expect(mmu.read32(0x40_0008)).toBe(0xfeed);
    // The VS root PTE's guest page walks the G-stage (3) and the PTE is read (1); the level-1 and leaf
    // PTEs' guest pages share its 2 MiB, so the G-stage walk cache leaves one G read each (1 + 1, twice);
    // the data's guest page shares its 1 GiB: 2 G reads.
    expect(mmu.stats().walks).toBe(1);
    expect([mmu.stats().pteReads, mmu.stats().walkCacheHits]).toEqual([10, 3]);
    mmu.write32(0x40_000c, 7);
    expect(board.memory.read32(guest.spaOf(0x20_0000) + 12)).toBe(7);
    expect(mmu.stats().walks).toBe(1);
    // The cycle model charges every reference of the two-dimensional walk.
    const model = mmu.cycleModel;
    expect(mmu.cycles).toBeGreaterThanOrEqual(10 * model.pteRead + 3 * model.walkCacheHit);
  });

  it('cache VS-level entries, G-stage leaves and G-stage non-leaf entries: a neighbouring page walks in 2 references', () => {
    const board = new Board();
    const guest = new Guest(board, 5);
    guest.vsmap(0x40_0000, 0x20_0000, R | W | A | D);
    guest.vsmap(0x40_1000, 0x21_0000, R | W | A | D);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    guest.enter(mmu, true);
    mmu.setVirtualized(true);
    const costs = missCosts(mmu, 0x40_0000, 0x40_1000);
    const second = mmu.stats();
    // The VS walk cache gives the leaf table (level 1 cached); the G-stage TLB translates that
    // table's guest page; then the VS leaf (1 read) and the new final page's G-stage walk, resumed
    // by the G-stage walk cache below its level-1 entry (1 read).
    expect(costs.cold).toEqual([10, 3]);
    expect(costs.neighbour).toEqual([2, 3]);
    expect(costs.neighbourCycles).toBe(mmu.cycleModel.l2Hit + 2 * mmu.cycleModel.pteRead + 3 * mmu.cycleModel.walkCacheHit);
    expect(costs.neighbourCycles).toBe(costs.neighbourModelCycles);
    // HFENCE.GVMA empties the G-stage TLB and walk caches but leaves the VS walk cache, which holds guest-physical addresses.
    mmu.setVirtualized(false);
    mmu.hfenceGvma(null, null);
    mmu.setVirtualized(true);
    mmu.read32(0x40_0000);
    // The leaf table's guest page walks the G-stage from the root (3), the VS leaf is read (1), and the final
    // page's G-stage walk resumes below the level-0 entry that walk cached (2).
    expect(mmu.stats().pteReads - second.pteReads).toBe(3 + 1 + 2);
  });

  it('drop cached G-stage non-leaf entries at HFENCE.GVMA: a G-stage table swapped under a guest is seen after the fence', () => {
    const board = new Board();
    const guest = new Guest(board, 6, 64);
    board.memory.write32(guest.spaOf(0x5000), 0xaaaa);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    guest.enter(mmu, false); // vsatp Bare: GVA = GPA, only the G-stage
    mmu.setVirtualized(true);
    expect(mmu.read32(0x5000)).toBe(0xaaaa);
    // The hypervisor builds another last-level G-stage table for the first 2 MiB, mapping page 5 elsewhere,
    // and swaps it into the level-1 entry: a non-leaf change, which needs HFENCE.GVMA with no address.
    const table = board.frames();
    const other = board.frames();
    board.memory.write32(other, 0xbbbb);
    for (let i = 0; i < 64; i++) board.pte(table + i * 8, i === 5 ? other : guest.spaOf(i * 4096), V | R | W | X | U | A | D);
    const rootEntry = guest.gRoot; // root index 0 → the level-1 table
    const level1 = ((board.memory.read32(rootEntry) >>> 10) + board.memory.read32(rootEntry + 4) * 2 ** 22) * 4096;
    board.pte(level1, table, V); // level-1 index 0 → the new table
    mmu.setVirtualized(false);
    mmu.hfenceGvma(null, guest.vmid);
    mmu.setVirtualized(true);
    expect(mmu.read32(0x5000)).toBe(0xbbbb);
  });

  it('keep guests and host apart: the same address in the host, two VMIDs and two guest ASIDs', () => {
    const board = new Board();
    const a = new Guest(board, 1);
    const b = new Guest(board, 2);
    a.vsmap(0x1000, 0x30_0000, R | W | G | A | D); // a guest global page
    b.vsmap(0x1000, 0x31_0000, R | W | A | D);
    board.memory.write32(a.spaOf(0x30_0000), 0xa);
    board.memory.write32(b.spaOf(0x31_0000), 0xb);
    // The host maps the same address with a global page of its own.
    const hostRoot = board.frames();
    const hostPage = board.frames();
    board.memory.write32(hostPage, 0x40);
    board.map3(hostRoot, 0x1000, hostPage, V | R | W | G | A | D, 9, () => board.frames(), (x) => x);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    mmu.setRoot(hostRoot, 9);
    const values: number[] = [];
    for (let round = 0; round < 2; round++) {
      values.push(mmu.read32(0x1000));
      a.enter(mmu, true);
      mmu.setVirtualized(true);
      values.push(mmu.read32(0x1000));
      mmu.setVirtualized(false); // the hypervisor switches guests
      b.enter(mmu, true);
      mmu.setVirtualized(true);
      values.push(mmu.read32(0x1000));
      mmu.setVirtualized(false);
    }
    expect(values).toEqual([0x40, 0xa, 0xb, 0x40, 0xa, 0xb]);
    // Round two hit the TLB for all three.
    expect(mmu.stats().walks).toBe(3);
  });

  it('reports G-stage faults with htval and htinst, VS-stage faults as the guest\'s own', () => {
    const board = new Board();
    const guest = new Guest(board, 3, 64);
    guest.vsmap(0x5000, 0x9000_0000, R | W | A | D); // a GPA beyond the guest's RAM
    guest.vsmap(0x6000, 0x8000, R | A); // read-only
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    guest.enter(mmu, true);
    mmu.setVirtualized(true);
    const g = faultOf(() => mmu.write32(0x5010, 1));
    expect(g.vector).toBe(23);
    expect(g.faultAddress).toBe(0x5010);
    expect(g.guest).toMatchObject({ stage: GuestFaultStage.Second, guestPhysicalAddress: 0x9000_0010, htval: 0x9000_0010 / 4, htinst: 0 });
    expect(String(g)).toContain('StoreGuestPageFault');
    const vs = faultOf(() => mmu.write8(0x6000, 1));
    expect(vs.vector).toBe(15);
    expect(vs.guest?.stage).toBe(GuestFaultStage.Guest);
    // A VS-stage table whose guest page the G-stage does not map: an implicit access, htinst a pseudoinstruction.
    const unmapped = 0x3_0000;
    guest.gmap(unmapped, guest.spaOf(unmapped), 0); // present, no rights
    board.pte(guest.spaOf(guest.vsRoot) + 8 * 2, unmapped, V); // VS root entry 2 (GVA 2 GiB) → a table at `unmapped`
    const implicit = faultOf(() => mmu.fetch32(0x8000_0000));
    expect(implicit.vector).toBe(20);
    expect(implicit.guest).toMatchObject({ stage: GuestFaultStage.Second, htinst: HtinstPseudo.Read64, htval: (unmapped + 8 * 0) / 4 });
    // The host's faults say nothing of guests.
    mmu.setVirtualized(false);
    mmu.setPaging(false);
    expect(mmu.tryRead8(0x10) === FAULTED).toBe(true);
    expect(mmu.faultRecord.virtualized).toBe(false);
  });

  it('HFENCE.VVMA and HFENCE.GVMA drop what they name and leave the rest', () => {
    const board = new Board();
    const a = new Guest(board, 1);
    const b = new Guest(board, 2);
    const leafA = a.vsmap(0x7000, 0x30_0000, R | W | A | D);
    b.vsmap(0x7000, 0x31_0000, R | W | A | D);
    board.memory.write32(a.spaOf(0x30_0000), 1);
    board.memory.write32(a.spaOf(0x32_0000), 2);
    board.memory.write32(b.spaOf(0x31_0000), 3);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    const readIn = (guest: Guest) => {
      guest.enter(mmu, true);
      mmu.setVirtualized(true);
      const value = mmu.read32(0x7000);
      mmu.setVirtualized(false);
      return value;
    };
    expect([readIn(a), readIn(b)]).toEqual([1, 3]);
    board.pte(leafA, 0x32_0000, V | R | W | A | D); // guest A remaps its page
    expect(readIn(a)).toBe(1); // stale until fenced, as on hardware
    a.enter(mmu, true);
    mmu.hfenceVvma(0x7000, 0); // from HS-mode, for hgatp's VMID (A's)
    expect([readIn(a), readIn(b)]).toEqual([2, 3]);
    const walks = mmu.stats().walks;
    mmu.hfenceGvma(null, 2);
    expect([readIn(a), readIn(b)]).toEqual([2, 3]);
    expect(mmu.stats().walks).toBe(walks + 1); // only B walked again
    // A guest's own SFENCE.VMA (V=1) is HFENCE.VVMA of its VMID.
    board.pte(leafA, 0x30_0000, V | R | W | A | D);
    a.enter(mmu, true);
    mmu.setVirtualized(true);
    mmu.sfenceVma(0x7000, null);
    expect(mmu.read32(0x7000)).toBe(1);
    mmu.setVirtualized(false);
  });

  it('runs HLV, HSV and HLVX as the guest at hstatus.SPVP\'s privilege', () => {
    const board = new Board();
    const guest = new Guest(board, 4);
    guest.vsmap(0x2000, 0x3a_0000, R | W | A | D); // supervisor page
    guest.vsmap(0x3000, 0x3b_0000, X | U | A | D); // user execute-only
    board.memory.write32(guest.spaOf(0x3b_0000), 0x13);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    guest.enter(mmu, true);
    mmu.setSpvp(true);
    mmu.hsv(0x2000, 4, 0x1234);
    expect(board.memory.read32(guest.spaOf(0x3a_0000))).toBe(0x1234);
    expect(mmu.hlv(0x2000, 2)).toBe(0x1234);
    expect(mmu.virtualized).toBe(false);
    mmu.setSpvp(false); // VU-mode may not touch a supervisor page
    const f = faultOf(() => mmu.hlv(0x2000, 4));
    expect([f.vector, f.privilege, f.guest?.stage]).toEqual([13, Privilege.User, GuestFaultStage.Guest]);
    expect(faultOf(() => mmu.hlv(0x3000, 4)).vector).toBe(13); // not readable
    expect(mmu.hlvx(0x3000, 4)).toBe(0x13); // executable is enough for HLVX
    expect(mmu.privilege).toBe(Privilege.Supervisor);
    mmu.setVirtualized(true);
    expect(() => mmu.hlv(0x2000, 4)).toThrow(InvalidArgumentError);
  });

  it('handles a hypervisor load\'s fault as HS-mode would (V=0, the caller\'s privilege), then retries it as the guest', () => {
    const board = new Board();
    const guest = new Guest(board, 4, 64);
    guest.vsmap(0x2000, 0x3_0000, R | W | A | D);
    const hostRoot = board.frames();
    const hostPage = board.frames();
    board.memory.write32(hostPage, 0xbad);
    board.map3(hostRoot, 0x2000, hostPage, V | R | W | A | D, 9, () => board.frames(), (x) => x);
    board.memory.write32(guest.spaOf(0x3_0000), 0x600d);
    const seen: unknown[] = [];
    const mmu: Mmu = new Mmu({
      memory: board.memory,
      format: 'sv39',
      faultHandler: {
        handleFault(fault) {
          seen.push([mmu.virtualized, mmu.privilege, fault.vector]);
          // The hypervisor maps the guest page the walk needed, and tries again.
          guest.gmap(0x3_0000, guest.spaOf(0x3_0000), R | W | X);
          mmu.hfenceGvma(null, guest.vmid);
          return FaultResolution.Retry;
        },
      },
    });
    mmu.setRoot(hostRoot, 1);
    guest.enter(mmu, true);
    guest.gmap(0x3_0000, guest.spaOf(0x3_0000), 0); // not readable yet: a load guest-page fault
    mmu.setSpvp(true);
    mmu.setPrivilege(Privilege.Machine);
    expect(mmu.hlv(0x2000, 4)).toBe(0x600d);
    expect(seen).toEqual([[false, Privilege.Machine, 21]]);
    expect([mmu.virtualized, mmu.privilege]).toEqual([false, Privilege.Machine]);
  });

  it('makes HLVX need PMP\'s execute permission as well as read, and fail as a load', () => {
    const board = new Board();
    const guest = new Guest(board, 4, 64);
    guest.vsmap(0x3000, 0x3_1000, X | U | A | D);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39', pmpEntries: 4 });
    // PMP: all of RAM readable and writable by S and U, not executable.
    mmu.writePmpaddr(0, (RAM + (32 << 20)) / 4);
    mmu.writePmpcfg(0, PmpConfig.R | PmpConfig.W | (PmpMatch.Tor << 3));
    guest.enter(mmu, true);
    mmu.setSpvp(false);
    const f = faultOf(() => mmu.hlvx(0x3000, 4));
    expect([f.vector, f.reason]).toEqual([5, FaultReason.PmpViolation]);
  });

  it('applies sstatus.MXR to both stages and vsstatus.MXR and SUM to the VS-stage, without stale entries', () => {
    const board = new Board();
    const guest = new Guest(board, 6);
    guest.vsmap(0x9000, 0x3c_0000, X | A | D);
    guest.vsmap(0xa000, 0x3d_0000, R | W | U | A | D);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    guest.enter(mmu, true);
    mmu.setVirtualized(true);
    mmu.fetch32(0x9000);
    expect(mmu.tryRead32(0x9000)).toBe(FAULTED);
    mmu.setGuestControls({ mxr: true });
    expect(mmu.tryRead32(0x9000)).toBe(0);
    mmu.setGuestControls({ mxr: false });
    expect(mmu.tryRead32(0x9000)).toBe(FAULTED);
    // sstatus.MXR, written by HS-mode (V=0; at V=1 setControls refuses: the guest's sstatus is vsstatus).
    expect(() => mmu.setControls({ mxr: true })).toThrow(InvalidArgumentError);
    const fromHs = (changes: Parameters<Mmu['setControls']>[0]) => {
      mmu.setVirtualized(false);
      mmu.setControls(changes);
      mmu.setVirtualized(true);
    };
    fromHs({ mxr: true });
    expect(mmu.tryRead32(0x9000)).toBe(0);
    fromHs({ mxr: false });
    expect(mmu.tryRead32(0x9000)).toBe(FAULTED);
    expect(mmu.tryRead32(0xa000)).toBe(FAULTED); // a U page from VS-mode needs vsstatus.SUM
    fromHs({ sum: true }); // the HS-level SUM does not apply at V=1
    expect(mmu.tryRead32(0xa000)).toBe(FAULTED);
    mmu.setGuestControls({ sum: true });
    expect(mmu.tryRead32(0xa000)).toBe(0);
  });

  it('refuses the host\'s registers and M-mode while V=1, and x86 calls on RISC-V, changing nothing', () => {
    const board = new Board();
    const guest = new Guest(board, 7);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    guest.enter(mmu, false);
    mmu.setVirtualized(true);
    expect(() => mmu.setRoot(RAM, 1)).toThrow(InvalidArgumentError);
    expect(() => mmu.setFormat('sv48')).toThrow(InvalidArgumentError);
    expect(() => mmu.setPaging(false)).toThrow(InvalidArgumentError);
    expect(() => mmu.setPrivilege(Privilege.Machine)).toThrow(InvalidArgumentError);
    expect(() => mmu.setEptp(0x1000, 1)).toThrow(InvalidArgumentError);
    expect(() => mmu.setHgatp(GStageMode.Sv39x4, guest.gRoot + 4096, 1)).toThrow(InvalidArgumentError);
    expect(() => mmu.setGuestRoot('x86-64', 0, 0)).toThrow(InvalidArgumentError);
    expect(() => mmu.setGuestControls({ wp: true })).toThrow(InvalidArgumentError);
    expect([mmu.virtualized, mmu.hgatp.vmid, mmu.hgatp.root, mmu.guestFormat, mmu.privilege]).toEqual([true, 7, guest.gRoot, null, Privilege.Supervisor]);
    mmu.setVirtualized(false);
    mmu.setPrivilege(Privilege.Machine);
    expect(() => mmu.setVirtualized(true)).toThrow(InvalidArgumentError);
    expect(mmu.virtualized).toBe(false);
  });
});

describe('a combined TLB entry always equals the two walks done separately', () => {
  it('over random mappings, accesses, fences, VMIDs and host accesses', () => {
    const gvas = [0x1000, 0x20_0000, 0x4000_0000];
    const op = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('access' as const), page: fc.nat(gvas.length - 1), access: fc.constantFrom(Access.Read, Access.Write, Access.Execute), user: fc.boolean(), guest: fc.nat(1) }), weight: 3 },
      fc.record({ kind: fc.constant('access' as const), page: fc.nat(gvas.length - 1), access: fc.constantFrom(Access.Read, Access.Write, Access.Execute), user: fc.boolean(), guest: fc.nat(1) }),
      fc.record({ kind: fc.constant('vs' as const), page: fc.nat(gvas.length - 1), target: fc.nat(3), flags: fc.nat(31), guest: fc.nat(1) }),
      fc.record({ kind: fc.constant('g' as const), target: fc.nat(3), rights: fc.nat(7), guest: fc.nat(1) }),
      fc.record({ kind: fc.constant('host' as const), page: fc.nat(gvas.length - 1) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const board = new Board();
        const guests = [new Guest(board, 1, 64), new Guest(board, 2, 64)];
        const targets = Array.from({ length: 4 }, (_, i) => 0x8000 + i * 4096);
        const vsLeaf = new Map<string, number>();
        const hostRoot = board.frames();
        const hostPage = board.frames();
        for (const gva of gvas) board.map3(hostRoot, gva, hostPage, V | R | W | X | G | A | D, 9, () => board.frames(), (x) => x);
        for (const [i, guest] of guests.entries()) {
          for (const [p, gva] of gvas.entries()) vsLeaf.set(`${i}:${p}`, guest.vsmap(gva, targets[p], R | W | X | U | A | D));
        }
        const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
        mmu.setRoot(hostRoot, 3);
        const hs = defaultControls();
        const reference = guests.map((guest) => {
          const walker = new RiscvTwoStageWalker(board.memory, hs, { sum: false, mxr: false, hardwareAD: true });
          walker.setHgatp(GStageMode.Sv39x4, guest.gRoot);
          walker.setVsatp(SV39, guest.vsRoot);
          return walker;
        });
        const out = new TwoStageWalkResult();
        for (const o of ops) {
          if (o.kind === 'vs') {
            const flags = (o.flags & 1 ? R : 0) | (o.flags & 2 ? W | R : 0) | (o.flags & 4 ? X : 0) | (o.flags & 8 ? U : 0) | (o.flags & 16 ? 0 : V);
            board.pte(vsLeaf.get(`${o.guest}:${o.page}`)!, targets[o.target], flags | A | D);
            guests[o.guest].enter(mmu, true);
            mmu.hfenceVvma(gvas[o.page], null);
          } else if (o.kind === 'g') {
            const rights = (o.rights & 1 ? R : 0) | (o.rights & 2 ? W | R : 0) | (o.rights & 4 ? X : 0);
            const guest = guests[o.guest];
            guest.gmap(targets[o.target], guest.spaOf(targets[o.target]), rights);
            mmu.hfenceGvma(targets[o.target], guest.vmid);
          } else if (o.kind === 'host') {
            expect(mmu.translate(gvas[o.page], Access.Read)).toBe(hostPage + (gvas[o.page] % 4096));
          } else {
            const guest = guests[o.guest];
            guest.enter(mmu, true);
            mmu.setPrivilege(o.user ? Privilege.User : Privilege.Supervisor);
            mmu.setVirtualized(true);
            const gva = gvas[o.page] + 0x10;
            reference[o.guest].walk(gva, o.access, o.user ? Privilege.User : Privilege.Supervisor, out);
            for (let twice = 0; twice < 2; twice++) {
              const pa = mmu.tryTranslate(gva, o.access);
              if (out.ok) expect(pa).toBe(out.pageBase + (gva % 2 ** out.pageShift));
              else expect([pa, mmu.faultRecord.vector, mmu.faultRecord.stage]).toEqual([FAULTED, out.cause, out.faultStage]);
            }
            mmu.setVirtualized(false);
            mmu.setPrivilege(Privilege.Supervisor);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('snapshots and saved states of a machine running a guest', () => {
  it('restore the V bit, the guest registers and its TLB entries, and load into a fresh machine that runs on identically', () => {
    const board = new Board();
    const guest = new Guest(board, 9);
    guest.vsmap(0x40_0000, 0x20_0000, R | W | A | D);
    guest.vsmap(0x40_1000, 0x21_0000, R | W | A | D);
    const mmu = new Mmu({ memory: board.memory, format: 'sv39' });
    const snapshots = new MachineSnapshots({ memory: board.memory, mmus: [mmu] });
    const before = snapshots.take();
    guest.enter(mmu, true);
    mmu.setVirtualized(true);
    mmu.write32(0x40_0000, 11);
    const running = snapshots.take();
    const saved = snapshots.save();
    const run = (m: Mmu) => runThenLeave(m, 0x40_1004, 22, 0x40_0000);
    const expected = run(mmu);
    snapshots.restore(running);
    expect(mmu.virtualized).toBe(true);
    expect(run(mmu)).toEqual(expected);
    const memory = new PhysicalMemory({ size: 32 << 20, base: RAM });
    const fresh = new Mmu({ memory, format: 'sv39' });
    new MachineSnapshots({ memory, mmus: [fresh] }).load(saved);
    expect([fresh.virtualized, fresh.hgatp.vmid, fresh.guestFormat?.name, fresh.guestRoot]).toEqual([true, 9, 'sv39', guest.vsRoot]);
    expect(run(fresh)).toEqual(expected);
    snapshots.restore(before);
    expect([mmu.virtualized, mmu.guestFormat, mmu.hgatp.vmid]).toEqual([false, null, 0]);
  });
});
