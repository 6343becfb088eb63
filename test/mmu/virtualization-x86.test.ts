/**
 * The MMU running x86 guests under EPT (VMX non-root operation): the two-dimensional walk behind
 * TLB misses, entries tagged with the VPID and PCID, INVEPT and INVVPID, EPT violations as VM
 * exits with their qualification, and guest faults under the guest's own control bits. The
 * reference for translations is a separate EptNestedWalker over the same tables.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Access,
  EPTP,
  EptNestedWalkResult,
  EptNestedWalker,
  EptWalker,
  FAULTED,
  FrameAllocator,
  GuestFaultStage,
  InvalidArgumentError,
  MachineSnapshots,
  Mmu,
  PageFaultError,
  PageTableBuilder,
  PhysicalMemory,
  Privilege,
  X86_64,
  defaultControls,
  type TranslationFault,
} from '../../src/index.js';
import { missCosts, runThenLeave } from './guest-run.js';

/** Guest RAM: GPA [0, 4 MiB) at HPA 8 MiB, its page tables in its last MiB; EPT tables above 16 MiB. */
const GUEST_RAM_HPA = 0x80_0000;
const GUEST_RAM = 4 << 20;

class Host {
  readonly memory = new PhysicalMemory({ size: 32 << 20 });
  readonly eptRoot: number;
  private next = 0x100_0000;
  /** Host address of each EPT PTE by guest-physical page. */
  private readonly eptLeaf = new Map<number, number>();
  /** The guest's own tables, built in guest RAM through a PageTableBuilder over a view of it. */
  readonly guestTables: PageTableBuilder;

  constructor() {
    this.eptRoot = this.frame();
    for (let gpa = 0; gpa < GUEST_RAM; gpa += 4096) this.eptMap(gpa, GUEST_RAM_HPA + gpa, 7);
    // The guest's page tables live in guest RAM: build them in a guest-sized memory, copied in by sync().
    const guestRam = new PhysicalMemory({ size: GUEST_RAM });
    this.guestTables = new PageTableBuilder(guestRam, 'x86-64', new FrameAllocator(guestRam, { reserved: 768 }));
  }

  frame(): number {
    const at = this.next;
    this.next += 4096;
    return at;
  }

  eptMap(gpa: number, hpa: number, rights: number): void {
    let table = this.eptRoot;
    for (let level = 0; level < 3; level++) {
      const at = table + (Math.floor(gpa / 2 ** (39 - 9 * level)) % 512) * 8;
      if ((this.memory.read32(at) & 7) === 0) this.memory.write32(at, this.frame() | 7);
      table = this.memory.read32(at) & ~0xfff;
    }
    const leaf = table + (Math.floor(gpa / 4096) % 512) * 8;
    this.memory.write32(leaf, hpa | rights | (6 << 3));
    this.eptLeaf.set(gpa, leaf);
  }

  /** Sets the user-execute bit (10, mode-based execute control) of the EPT leaf of `gpa`. */
  setEptUserExecute(gpa: number): void {
    const leaf = this.eptLeaf.get(gpa)!;
    this.memory.write32(leaf, this.memory.read32(leaf) | (1 << 10));
  }

  /** Host address of the guest's entry at `level` (0 = PML4) on the walk of `va`, in guest RAM. */
  guestEntry(va: number, level: number): number {
    let table = this.guestTables.root;
    for (let l = 0; ; l++) {
      const at = GUEST_RAM_HPA + table + (Math.floor(va / 2 ** (39 - 9 * l)) % 512) * 8;
      if (l === level) return at;
      table = this.memory.read32(at) & ~0xfff;
    }
  }

  setEptRights(gpa: number, rights: number): void {
    const leaf = this.eptLeaf.get(gpa)!;
    this.memory.write32(leaf, (this.memory.read32(leaf) & ~7) | rights);
  }

  /** Copies the guest's tables into guest RAM. */
  sync(): void {
    this.memory.bytes.set(this.guestTables.memory.bytes.subarray(0, GUEST_RAM), GUEST_RAM_HPA);
  }

  get eptp(): number {
    return this.eptRoot | EPTP.WalkLength4 | EPTP.MemoryTypeWriteBack;
  }
}

function faultOf(run: () => unknown): TranslationFault {
  try {
    run();
  } catch (e) {
    if (e instanceof PageFaultError) return e.fault;
    throw e;
  }
  throw new Error('expected a fault');
}

function guestMmu(host: Host, vpid: number): Mmu {
  host.sync();
  const mmu = new Mmu({ memory: host.memory, format: 'x86-64' });
  mmu.setEptp(host.eptp, vpid);
  mmu.setGuestRoot('x86-64', host.guestTables.root, 1);
  return mmu;
}

describe('x86 guests under EPT', () => {
  it('walk in two dimensions (cold: 12 references and 4 EPT walk-cache hits for 4 over 4, where 24 would be read without caches), then hit the TLB', () => {
    const host = new Host();
    host.guestTables.map(0x40_0000, 0x20_0000, { writable: true, user: true });
    const mmu = guestMmu(host, 3);
    host.memory.write32(GUEST_RAM_HPA + 0x20_0010, 0x77);
    mmu.setVirtualized(true);
    expect(mmu.read32(0x40_0010)).toBe(0x77);
    // CR3's entry: EPT walk (4) and the entry (1); the next three guest entries' pages share its 2 MiB:
    // the EPT PDE cache leaves 1 EPT read each, plus the entry; the data page shares the 2 MiB too (1).
    expect([mmu.stats().walks, mmu.stats().pteReads, mmu.stats().walkCacheHits]).toEqual([1, 12, 4]);
    mmu.write32(0x40_0014, 5);
    expect(host.memory.read32(GUEST_RAM_HPA + 0x20_0014)).toBe(5);
    // The read left the guest's D clear: the first write walks again to set it, the next ones hit.
    mmu.write32(0x40_0018, 6);
    mmu.read32(0x40_0018);
    expect(mmu.stats().walks).toBe(2);
  });

  it('cache guest paging-structure entries, guest-physical mappings and EPT paging-structure entries: a neighbouring page takes 2 references', () => {
    const host = new Host();
    host.guestTables.map(0x40_0000, 0x20_0000, {});
    host.guestTables.map(0x40_1000, 0x21_0000, {});
    const mmu = guestMmu(host, 3);
    mmu.setVirtualized(true);
    const costs = missCosts(mmu, 0x40_0000, 0x40_1000);
    // The guest's PDE cache gives the page table; its guest page's EPT translation is cached; the guest
    // PTE is read (1) and the new final guest-physical page walks EPT below its cached EPT PDE (1).
    expect(costs.cold).toEqual([12, 4]);
    expect(costs.neighbour).toEqual([2, 3]);
    expect(costs.neighbourCycles).toBe(costs.neighbourModelCycles); // its guest A bit is written too
  });

  it('reports EPT violations as VM exits (reason 48, GPA, qualification) and guest faults as #PF under the guest\'s bits', () => {
    const host = new Host();
    host.guestTables.map(0x60_0000, 0x28_0000, { executable: true, user: true });
    host.guestTables.map(0x70_0000, 0x29_0000, {}); // supervisor read-only
    host.setEptRights(0x28_0000, 4); // execute-only
    const mmu = guestMmu(host, 3);
    mmu.setVirtualized(true);
    mmu.setPrivilege(Privilege.User);
    mmu.fetch8(0x60_0000); // the ITLB holds it now
    const exit = faultOf(() => mmu.read8(0x60_0004));
    expect(exit.vector).toBe(-1);
    expect(exit.guest).toMatchObject({ stage: GuestFaultStage.Second, exitReason: 48, guestPhysicalAddress: 0x28_0004 });
    // Qualification: a data read (bit 0), the page executable (bit 5), a linear address (bits 7, 8).
    expect(exit.guest!.exitQualification & 0x1ff).toBe(0x1a1);
    expect(String(exit)).toContain('EPT violation');
    const pf = faultOf(() => mmu.read8(0x70_0000));
    expect([pf.vector, pf.errorCode, pf.guest?.stage]).toEqual([14, 0x5, GuestFaultStage.Guest]);
    // Guest CR0.WP = 0: its supervisor may write a read-only page; the host's WP does not matter.
    mmu.setPrivilege(Privilege.Supervisor);
    expect(mmu.tryWrite8(0x70_0000, 1)).toBe(false);
    mmu.setGuestControls({ wp: false });
    expect(mmu.tryWrite8(0x70_0000, 1)).toBe(true);
    expect(mmu.controls.wp).toBe(true);
  });

  it('tags entries with the VPID: INVVPID and INVEPT drop what they name', () => {
    const host = new Host();
    host.guestTables.map(0x40_0000, 0x20_0000, { writable: true });
    const mmu = guestMmu(host, 1);
    host.memory.write32(GUEST_RAM_HPA + 0x20_0000, 1);
    const readAs = (vpid: number) => {
      mmu.setEptp(host.eptp, vpid);
      mmu.setVirtualized(true);
      const value = mmu.read32(0x40_0000);
      mmu.setVirtualized(false);
      return value;
    };
    expect([readAs(1), readAs(2), readAs(1), readAs(2)]).toEqual([1, 1, 1, 1]);
    expect(mmu.stats().walks).toBe(2);
    mmu.invvpid(0, 1, 0x40_0000);
    readAs(1);
    readAs(2);
    expect(mmu.stats().walks).toBe(3);
    mmu.invvpid(1, 2);
    readAs(1);
    readAs(2);
    expect(mmu.stats().walks).toBe(4);
    mmu.invept(1, host.eptp);
    readAs(1);
    readAs(2);
    expect(mmu.stats().walks).toBe(6);
    // VPID 0 (VPIDs off): VM entries and exits flush.
    readAs(0);
    readAs(0);
    expect(mmu.stats().walks).toBe(8);
    expect(() => mmu.invvpid(1, 0)).toThrow(InvalidArgumentError);
    expect(() => mmu.invept(3 as 1)).toThrow(InvalidArgumentError);
    expect(() => mmu.setEptp(host.eptRoot | EPTP.WalkLength4 | 3, 1)).toThrow(InvalidArgumentError); // memory type 3
    expect(mmu.eptState.vpid).toBe(0);
  });

  it('never lets a write through a page EPT makes read-only, even for a guest with CR0.WP = 0 after a read filled the TLB', () => {
    for (const paging of [true, false]) {
      const host = new Host();
      host.guestTables.map(0x40_0000, 0x20_0000, { writable: true, accessed: true, dirty: true });
      const mmu = guestMmu(host, 2);
      if (!paging) mmu.setGuestRoot(null, 0, 0);
      const page = paging ? 0x40_0000 : 0x20_0000;
      host.setEptRights(0x20_0000, 1); // read-only
      mmu.setGuestControls({ wp: false });
      mmu.setVirtualized(true);
      mmu.read8(page);
      const exit = faultOf(() => mmu.write8(page, 1));
      expect([paging, exit.guest?.exitReason, exit.guest?.guestPhysicalAddress]).toEqual([paging, 48, 0x20_0000]);
      expect(host.memory.read8(GUEST_RAM_HPA + 0x20_0000)).toBe(0);
    }
  });

  it('with VPID 0, flushes the paging-structure caches at VM entry and exit too', () => {
    const host = new Host();
    host.guestTables.map(0x40_0000, 0x20_0000, {});
    host.guestTables.map(0x40_1000, 0x21_0000, {});
    host.guestTables.map(0x60_1000, 0x22_0000, {});
    const mmu = guestMmu(host, 0);
    host.memory.write32(GUEST_RAM_HPA + 0x21_0000, 0x1d);
    host.memory.write32(GUEST_RAM_HPA + 0x22_0000, 0xe1);
    mmu.setVirtualized(true);
    mmu.read8(0x40_0000); // caches the PDE of 0x40_0000's 2 MiB
    mmu.setVirtualized(false);
    // The hypervisor points that PDE at the page table of 0x60_0000 (in guest RAM, as the guest itself might).
    host.memory.write32(host.guestEntry(0x40_0000, 2), host.memory.read32(host.guestEntry(0x60_0000, 2)));
    mmu.setVirtualized(true);
    expect(mmu.read32(0x40_1000)).toBe(0xe1);
  });

  it('with mode-based execute control and the guest\'s paging off, executes by the supervisor bit at every privilege', () => {
    const host = new Host();
    const mmu = new Mmu({ memory: host.memory, format: 'x86-64', ept: { modeBasedExecute: true } });
    host.setEptRights(0x5000, 1); // R only, no supervisor execute...
    host.setEptUserExecute(0x5000); // ...but user execute
    mmu.setEptp(host.eptp, 4);
    mmu.setGuestRoot(null, 0, 0);
    mmu.setVirtualized(true);
    for (const privilege of [Privilege.User, Privilege.Supervisor, Privilege.User]) {
      mmu.setPrivilege(privilege);
      expect(faultOf(() => mmu.fetch8(0x5000)).guest?.exitReason).toBe(48);
    }
  });

  it('drops cached EPT paging-structure entries at INVEPT: an EPT table swapped under a guest is seen after it', () => {
    const host = new Host();
    const mmu = guestMmu(host, 7);
    mmu.setGuestRoot(null, 0, 0); // EPT alone
    host.memory.write32(GUEST_RAM_HPA + 0x5000, 0xaaaa);
    mmu.setVirtualized(true);
    expect(mmu.read32(0x5000)).toBe(0xaaaa);
    mmu.setVirtualized(false);
    // A new EPT page table for the first 2 MiB, mapping page 5 elsewhere, swapped into the EPT PDE.
    const table = host.frame();
    const other = host.frame();
    host.memory.write32(other, 0xbbbb);
    for (let i = 0; i < 512; i++) host.memory.write32(table + i * 8, (i === 5 ? other : GUEST_RAM_HPA + i * 4096) | 7 | (6 << 3));
    let pde = host.eptRoot;
    for (let level = 0; level < 2; level++) pde = host.memory.read32(pde) & ~0xfff; // PML4E 0 → PDPT, PDPTE 0 → PD
    host.memory.write32(pde, table | 7);
    mmu.invept(2);
    mmu.setVirtualized(true);
    expect(mmu.read32(0x5000)).toBe(0xbbbb);
  });

  it('needs an EPTP to enter, and refuses RISC-V calls', () => {
    const mmu = new Mmu({ memory: new PhysicalMemory({ size: 1 << 20 }), format: 'x86-64' });
    expect(() => mmu.setVirtualized(true)).toThrow(InvalidArgumentError);
    expect(() => mmu.setHgatp(0, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => mmu.hlv(0, 4)).toThrow(InvalidArgumentError);
    expect(() => mmu.setGuestControls({ sum: true })).toThrow(InvalidArgumentError);
    expect(() => new Mmu({ memory: new PhysicalMemory({ size: 1 << 20 }), format: 'x86-64', ept: { maxPhysicalAddressBits: 99 } })).toThrow(InvalidArgumentError);
    expect(mmu.virtualized).toBe(false);
  });

  it('a combined entry always equals the nested walk done afresh, over EPT changes and INVEPT', () => {
    const pages = [0x40_0000, 0x40_1000, 0x60_0000];
    const targets = [0x20_0000, 0x21_0000, 0x22_0000];
    const op = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('access' as const), page: fc.nat(2), access: fc.constantFrom(Access.Read, Access.Write, Access.Execute), user: fc.boolean() }), weight: 3 },
      fc.record({ kind: fc.constant('ept' as const), target: fc.nat(2), rights: fc.constantFrom(0, 1, 3, 4, 5, 7) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), (ops) => {
        const host = new Host();
        for (const [i, va] of pages.entries()) host.guestTables.map(va, targets[i], { writable: true, user: true, executable: true, accessed: true, dirty: true });
        const mmu = guestMmu(host, 9);
        mmu.setVirtualized(true);
        const reference = new EptNestedWalker(X86_64, host.memory, defaultControls(), new EptWalker(host.memory, { eptp: host.eptp }));
        const out = new EptNestedWalkResult();
        for (const o of ops) {
          if (o.kind === 'ept') {
            host.setEptRights(targets[o.target], o.rights);
            mmu.setVirtualized(false); // INVEPT is the hypervisor's: a VM exit first
            mmu.invept(2);
            mmu.setVirtualized(true);
            continue;
          }
          const privilege = o.user ? Privilege.User : Privilege.Supervisor;
          mmu.setPrivilege(privilege);
          const va = pages[o.page] + 0x20;
          reference.walk(va, o.access, privilege, host.guestTables.root, out);
          for (let twice = 0; twice < 2; twice++) {
            const pa = mmu.tryTranslate(va, o.access);
            if (out.ok) expect(pa).toBe(out.hostAddress);
            else expect([pa, mmu.faultRecord.stage]).toEqual([FAULTED, out.stage === 1 ? GuestFaultStage.Guest : GuestFaultStage.Second]);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('saved states of an x86 machine running a guest under EPT', () => {
  it('load into a fresh machine that runs on identically, guest walk caches and EPT caches included', () => {
    const host = new Host();
    host.guestTables.map(0x40_0000, 0x20_0000, { writable: true });
    host.guestTables.map(0x40_1000, 0x21_0000, { writable: true });
    const mmu = guestMmu(host, 5);
    const snapshots = new MachineSnapshots({ memory: host.memory, mmus: [mmu] });
    mmu.setVirtualized(true);
    mmu.write32(0x40_0000, 3);
    const saved = snapshots.save();
    const run = (m: Mmu) => runThenLeave(m, 0x40_1008, 4, 0x40_0000);
    const expected = run(mmu);
    const memory = new PhysicalMemory({ size: 32 << 20 });
    const fresh = new Mmu({ memory, format: 'x86-64' });
    new MachineSnapshots({ memory, mmus: [fresh] }).load(saved);
    expect([fresh.virtualized, fresh.eptState.vpid, fresh.guestFormat?.name]).toEqual([true, 5, 'x86-64']);
    expect(run(fresh)).toEqual(expected);
  });
});
