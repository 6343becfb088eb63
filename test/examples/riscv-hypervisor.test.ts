import { describe, expect, it } from 'vitest';
import { Access, GStageMode, GuestFaultStage, PageFaultError, Privilege, type PhysicalMemory } from '../../src/index.js';
import { HCause } from '../../examples/riscv-hypervisor/guest-trap.js';
import { HCsr, Hstatus } from '../../examples/riscv-hypervisor/hypervisor-csrs.js';
import type { HypervisorHart } from '../../examples/riscv-hypervisor/hypervisor-hart.js';
import { HypervisorMachine, RAM_BASE, RAM_SIZE } from '../../examples/riscv-hypervisor/machine.js';
import { loadHypervisor, report } from '../../examples/riscv-hypervisor/run.js';
import { Csr, Sstatus } from '../../examples/riscv/csrs.js';
import { Mode } from '../../examples/riscv/mode.js';
import { Cause } from '../../examples/riscv/trap.js';
import { image, rv } from './rv-encode.js';

/** The guest-physical RAM the hypervisor gives its guest (guest/abi.inc). */
const GUEST_RAM_BASE = 0x8000_0000;
const GUEST_RAM_END = 0x8010_0000;
/** Where the guest probes for RAM it does not have (guest/kernel/kernel.inc). */
const PROBE_GPA = 0x8040_0000;
/** The guest's root table: its first kalloc frame, after its .bss (guest/kernel/kernel.ld). */
const GUEST_ROOT = 0x8000_7000;
/** The hypervisor's G-stage root: its first frame, at _end (guest/hypervisor/hypervisor.ld). */
const GSTAGE_ROOT = 0x8000_8000;
const UART_LINE = 'guest: this line goes to a UART that is not there: the hypervisor emulates each store\n';

const EXPECTED_CONSOLE = [
  'hv: booting in HS-mode, paging off',
  `hv: G-stage (Sv39x4) root at 0x${GSTAGE_ROOT.toString(16)}, VMID 1`,
  'hv: guest RAM is GPA 0x80000000-0x80100000: its entry page mapped now, the rest on first touch',
  'hv: entering the guest in VS-mode at GPA 0x80000000',
  'guest: booting in VS-mode, paging off',
  `guest: Sv39 paging on, root table at GPA 0x${GUEST_ROOT.toString(16)}`,
  UART_LINE.trimEnd(),
  'guest: demand paging: 4 heap pages, zero-filled on first touch',
  'guest: untouched RAM at GPA 0x8000f000 reads 0x0',
  'guest: GPA 0x80400000 is not RAM: scause 5 (load access fault), reflected by the hypervisor',
  'guest: the hypervisor reports 15 pages mapped on demand, 86 UART stores emulated, 18 SBI calls served',
  'guest: faults handled: 4 page faults (demand-zero), access faults: 1',
  'guest: all checks passed',
  'hv: the guest shut down with status 0',
  'hv: guest-page faults handled: 102 (fetch 1, load 4, store 97), 1 of them taken by HLV/HSV in SBI calls',
  'hv: 15 pages mapped on demand (3 from the image, 12 zeroed), 86 UART stores emulated, 1 accesses outside guest RAM reflected',
  'hv: SBI calls served: 32',
  '',
].join('\n');

const sum = (m: ReadonlyMap<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const sorted = (m: ReadonlyMap<number, number>) => [...m.entries()].sort((a, b) => a[0] - b[0]);

/** The numbers of the hypervisor's last lines (guest/hypervisor/report.S). */
function hypervisorReport(console: string) {
  const n = (re: RegExp) => {
    const m = re.exec(console);
    if (m === null) throw new Error(`no ${re} in the console`);
    return m.slice(1).map(Number);
  };
  const [faults, fetch, load, store, inCalls] = n(/hv: guest-page faults handled: (\d+) \(fetch (\d+), load (\d+), store (\d+)\), (\d+) of them/);
  const [mapped, fromImage, zeroed, uart, reflected] = n(/hv: (\d+) pages mapped on demand \((\d+) from the image, (\d+) zeroed\), (\d+) UART stores emulated, (\d+) accesses/);
  const [calls] = n(/hv: SBI calls served: (\d+)/);
  return { faults, fetch, load, store, inCalls, mapped, fromImage, zeroed, uart, reflected, calls };
}

/** One leaf of the G-stage tables. */
interface GStageLeaf {
  gpa: number;
  hpa: number;
  flags: number;
  level: number;
}

/** Every leaf of the Sv39x4 tables at `root`, read from memory, and the frames of the tables themselves. */
function gStageTables(memory: PhysicalMemory, root: number): { leaves: GStageLeaf[]; tables: number[] } {
  const leaves: GStageLeaf[] = [];
  const tables = [root, root + 0x1000, root + 0x2000, root + 0x3000]; // the root is 16 KiB
  // The root indexes GPA bits 40:30 with 2048 entries, the two levels below bits 29:21 and 20:12.
  const walk = (table: number, entries: number, level: number, base: number) => {
    for (let i = 0; i < entries; i++) {
      const pte = memory.read64(table + i * 8);
      if ((pte & 1n) === 0n) continue;
      const frame = Number(pte >> 10n) * 4096;
      const gpa = base + i * 2 ** (30 - 9 * level);
      if ((pte & 0xen) !== 0n) leaves.push({ gpa, hpa: frame, flags: Number(pte & 0x3ffn), level });
      else {
        tables.push(frame);
        walk(frame, 512, level + 1, gpa);
      }
    }
  };
  walk(root, 2048, 0, 0);
  return { leaves, tables };
}

describe('RISC-V hypervisor example: a VS-mode guest under an HS-mode hypervisor', () => {
  const bin = loadHypervisor();
  const machine = new HypervisorMachine(bin);
  const result = machine.run();
  const hv = hypervisorReport(result.console);

  it('prints exactly what the hypervisor and its guest print, and exits with status 0', () => {
    expect(result.console).toBe(EXPECTED_CONSOLE);
    expect(result.exitCode).toBe(0);
    expect(machine.hart.halted).toBe(true);
    // Stopped by the hypervisor's own shutdown call, in HS-mode.
    expect(machine.hart.modeName).toBe('HS');
    expect(machine.mmu.virtualized).toBe(false);
  });

  it('takes every guest-page fault into HS-mode, and the hypervisor accounts for each one', () => {
    expect(result.guestPageFaults).toEqual({ fetch: hv.fetch, load: hv.load, store: hv.store });
    expect(result.guestPageFaults).toEqual({ fetch: 1, load: 4, store: 97 });
    // Each was resolved one way: a page mapped, a UART store emulated, or reflected to the guest.
    expect(hv.mapped + hv.uart + hv.reflected).toBe(hv.faults);
    expect(hv.fromImage + hv.zeroed).toBe(hv.mapped);
    // Every UART byte is one store guest-page fault, whose instruction the hypervisor read with HLVX.
    expect(hv.uart).toBe(UART_LINE.length);
    expect(result.hypervisorOps.hlvx).toBe(hv.uart);
    // One HFENCE.GVMA for each page mapped, one before the guest started; one HFENCE.VVMA then too.
    expect(result.hypervisorOps.hfenceGvma).toBe(hv.mapped + 1);
    expect(result.hypervisorOps.hfenceVvma).toBe(1);
    // Nothing else reached the hypervisor: SBI calls (ecall from VS-mode) and guest-page faults.
    expect(sorted(result.hsTraps)).toEqual([
      [HCause.EcallFromVS, 32],
      [HCause.InstructionGuestPageFault, 1],
      [HCause.LoadGuestPageFault, 4],
      [HCause.StoreGuestPageFault, 97],
    ]);
    expect(result.hypercalls).toBe(hv.calls);
    // All came from V=1 but the one an HLV took in the hypervisor's print call (V=0, hstatus.GVA = 1).
    expect(sum(result.hsTraps) - sum(result.exits)).toBe(hv.inCalls);
    expect(result.exits.get(HCause.LoadGuestPageFault)).toBe(3);
    // HSV wrote the guest's three counters.
    expect(result.hypervisorOps.hsv).toBe(3);
  });

  it("delivers the guest's own page faults to VS-mode (hedeleg), and the reflected access fault by software", () => {
    expect(result.vsPageFaults).toEqual({ fetch: 0, load: 1, store: 3 });
    expect(sorted(result.vsTraps)).toEqual([
      [Cause.LoadPageFault, 1],
      [Cause.StorePageFault, 3],
    ]);
    expect(result.console).toContain('guest: faults handled: 4 page faults (demand-zero), access faults: 1');
    // The access fault was never a trap of the hart: the hypervisor wrote vscause and vsepc itself.
    expect(result.hsTraps.has(Cause.LoadAccessFault)).toBe(false);
    expect(result.vsTraps.has(Cause.LoadAccessFault)).toBe(false);
    // Every fault the Mmu raised was delivered, to one mode or the other; the hart raised none itself.
    expect(result.mmu.faults).toBe(hv.faults + 4);
    expect(result.mmu.faultRetries).toBe(0);
    // One SFENCE.VMA after satp, one per resolved page fault: in VS-mode, HFENCE.VVMAs of VMID 1.
    expect(result.sfences).toBe(5);
  });

  it('points the Mmu at both stages: hgatp Sv39x4 with VMID 1, vsatp Sv39 with ASID 1', () => {
    const mmu = machine.mmu;
    expect(result.hgatp >> 60n).toBe(8n);
    expect((result.hgatp >> 44n) & 0x3fffn).toBe(1n);
    expect(Number(result.hgatp & 0xfff_ffff_ffffn) * 4096).toBe(GSTAGE_ROOT);
    expect(mmu.hgatp).toEqual({ mode: GStageMode.Sv39x4, root: GSTAGE_ROOT, vmid: 1 });
    expect(result.vsatp >> 60n).toBe(8n);
    expect((result.vsatp >> 44n) & 0xffffn).toBe(1n);
    expect(mmu.guestFormat?.name).toBe('sv39');
    expect(mmu.guestRoot).toBe(GUEST_ROOT);
    expect(mmu.guestAsid).toBe(1);
    expect(result.hgatpWrites).toBe(1);
    expect(result.vsatpWrites).toBe(2); // Bare by the hypervisor, then Sv39 by the guest
    // The hypervisor itself never turned paging on.
    expect(mmu.paging).toBe(false);
    expect(machine.hart.csr.satp).toBe(0n);
  });

  it('isolates the hypervisor: the G-stage maps guest RAM alone, onto frames the hypervisor does not use', () => {
    const { leaves, tables } = gStageTables(machine.memory, GSTAGE_ROOT);
    const imageStart = leaves.find((l) => l.gpa === GUEST_RAM_BASE)!.hpa; // the entry page: the image's first
    const imageEnd = RAM_BASE + bin.length; // the guest image ends hypervisor.bin
    const poolStart = GSTAGE_ROOT + 0x4000; // frames after the root
    expect(leaves).toHaveLength(1 + hv.mapped);
    for (const leaf of leaves) {
      expect(leaf.level).toBe(2);
      expect(leaf.gpa).toBeGreaterThanOrEqual(GUEST_RAM_BASE);
      expect(leaf.gpa).toBeLessThan(GUEST_RAM_END);
      expect(leaf.flags & 0x1f).toBe(0x1f); // V R W X U: a G-stage leaf must have U
      if (leaf.hpa < imageEnd) {
        // A page of the image: its own frame, at its own offset.
        expect(leaf.hpa).toBeGreaterThanOrEqual(imageStart);
        expect(leaf.hpa - imageStart).toBe(leaf.gpa - GUEST_RAM_BASE);
      } else {
        // A fresh frame: from the pool, never one of the G-stage tables.
        expect(leaf.hpa).toBeGreaterThanOrEqual(poolStart);
        expect(leaf.hpa).toBeLessThan(RAM_BASE + RAM_SIZE);
        expect(tables).not.toContain(leaf.hpa);
      }
    }
    expect(new Set(leaves.map((l) => l.hpa)).size).toBe(leaves.length);
    expect(leaves.filter((l) => l.hpa < imageEnd)).toHaveLength(1 + hv.fromImage);
    // The guest's own tables and data are in the frames it was given, the hypervisor's nowhere in them.
    expect(tables.every((t) => t >= GSTAGE_ROOT)).toBe(true);
    expect(imageStart).toBeGreaterThan(RAM_BASE);
  });

  it("reads the guest's memory as the guest does (HLV, through both stages), which is not the hypervisor's", () => {
    const mmu = machine.mmu;
    mmu.setSpvp(true); // as VS-mode
    // What the guest stored on its heap, at guest-virtual addresses only its own tables map.
    expect(mmu.hlv(0x40_0000, 4)).toBe(0x1234abcd);
    expect(mmu.hlv64(0x40_1000)).toBe(0x40_1000n);
    // The same number, two memories: GPA 0x80000000 is the guest's entry code, HPA 0x80000000 the hypervisor's.
    const guestWord = mmu.hlv(GUEST_RAM_BASE, 4);
    const imageStart = gStageTables(machine.memory, GSTAGE_ROOT).leaves.find((l) => l.gpa === GUEST_RAM_BASE)!.hpa;
    expect(guestWord).toBe(machine.memory.read32(imageStart));
    expect(guestWord).not.toBe(machine.memory.read32(RAM_BASE));
    // Past its RAM, the guest reaches nothing: a load guest-page fault, for the hypervisor.
    let fault: PageFaultError | null = null;
    try {
      mmu.hlv64(PROBE_GPA);
    } catch (error) {
      if (error instanceof PageFaultError) fault = error;
      else throw error;
    }
    expect(fault).not.toBeNull();
    expect(fault!.fault.vector).toBe(HCause.LoadGuestPageFault);
    expect(fault!.fault.faultAddress).toBe(PROBE_GPA);
    expect(fault!.fault.guest).toMatchObject({ stage: GuestFaultStage.Second, guestPhysicalAddress: PROBE_GPA, htval: PROBE_GPA / 4, htinst: 0 });
    // The heap page is a host frame from the pool, translated by both stages.
    mmu.setVirtualized(true);
    const heap = mmu.translate(0x40_0000, Access.Read);
    mmu.setVirtualized(false);
    expect(heap).toBeGreaterThanOrEqual(GSTAGE_ROOT + 0x4000);
    expect(machine.memory.read32(heap)).toBe(0x1234abcd);
  });

  it("runs the guest through the TLBs: one ITLB lookup per guest fetch, none for the hypervisor's", () => {
    const { tlb, walks, pteReads } = result.mmu;
    // The hypervisor runs with paging off: only the guest's fetches reach the ITLB, one each,
    // whether the instruction retired or trapped (into VS-mode or out to HS-mode).
    expect(tlb.l1i.hits + tlb.l1i.misses).toBe(result.guestInstructions + sum(result.exits) + sum(result.vsTraps));
    expect(result.guestInstructions).toBeGreaterThan(10_000);
    expect(result.instructions).toBeGreaterThan(result.guestInstructions);
    expect(tlb.l1i.hits).toBeGreaterThan(100 * tlb.l1i.misses);
    expect(tlb.l1d.hits).toBeGreaterThan(10 * tlb.l1d.misses);
    // Every L1 miss is an L2 hit or a walk (HLVX walks without filling, so there are more walks).
    expect(tlb.l1i.misses + tlb.l1d.misses).toBeLessThanOrEqual(walks + (tlb.l2?.hits ?? 0));
    // A two-stage walk of Sv39 over Sv39x4 reads at most (3 + 1)(3 + 1) - 1 = 15 entries.
    expect(walks).toBeGreaterThan(0);
    expect(pteReads).toBeLessThanOrEqual(15 * walks);
    expect(result.mmu.pteWrites).toBe(0); // both levels' software presets A and D
    expect(result.mmu.cycles).toBeGreaterThan(result.guestInstructions);
    const lines = report(result).join('\n');
    expect(lines).toContain('guest-page faults taken by the hypervisor 102 (fetch 1, load 4, store 97)');
    expect(lines).toContain('page faults taken by the guest kernel 4 (fetch 0, load 1, store 3)');
  });
});

describe('RISC-V hypervisor example in fast mode: the same guest, the same behaviour', () => {
  it('prints the same, retires the same instructions and takes the same traps', () => {
    const accurate = new HypervisorMachine(loadHypervisor()).run();
    const fast = new HypervisorMachine(loadHypervisor(), 'fast').run();
    expect(fast.console).toBe(EXPECTED_CONSOLE);
    expect(fast.instructions).toBe(accurate.instructions);
    expect(sorted(fast.hsTraps)).toEqual(sorted(accurate.hsTraps));
    expect(sorted(fast.vsTraps)).toEqual(sorted(accurate.vsTraps));
    expect(fast.mmu.faults).toBe(accurate.mmu.faults);
  });
});

// ---- the hart's H extension, instruction by instruction (hand-encoded: CI has no cross assembler)

/** HLV/HLVX (kind in rs2: 0 signed, 1 unsigned, 3 HLVX) and HSV; funct7 = 0b0110_ss_w. */
const hlv = (log2size: number, kind: number, rd: number, rs1: number) => ((((0x30 | (log2size << 1)) << 25) | (kind << 20) | (rs1 << 15) | (4 << 12) | (rd << 7) | 0x73) >>> 0);
const hsv = (log2size: number, rs2: number, rs1: number) => ((((0x31 | (log2size << 1)) << 25) | (rs2 << 20) | (rs1 << 15) | (4 << 12) | 0x73) >>> 0);
const HS_VECTOR = RAM_BASE + 0x800;
const VS_VECTOR = RAM_BASE + 0xc00;

/** A machine running `program` from RAM_BASE in HS-mode, stvec at +0x800, vstvec at +0xc00; hgatp and vsatp Bare. */
function hsHart(program: readonly number[], hedeleg = 0n): HypervisorHart {
  const bytes = new Uint8Array(0x1000);
  bytes.set(image(program));
  const hart = new HypervisorMachine(bytes).hart;
  hart.csr.write(Csr.stvec, BigInt(HS_VECTOR));
  hart.csr.write(HCsr.vstvec, BigInt(VS_VECTOR));
  hart.csr.write(HCsr.hedeleg, hedeleg);
  return hart;
}

/** The same, entered with SRET in VS-mode (`mode` Supervisor) or VU-mode (User), at RAM_BASE. */
function guestHart(program: readonly number[], mode: Mode = Mode.Supervisor, hedeleg = 0n): HypervisorHart {
  const hart = hsHart(program, hedeleg);
  hart.csr.write(HCsr.hstatus, Hstatus.SPV);
  hart.csr.write(Csr.sstatus, mode === Mode.Supervisor ? Sstatus.SPP : 0n);
  hart.csr.write(Csr.sepc, BigInt(RAM_BASE));
  hart.returnFromTrap();
  return hart;
}

describe('RISC-V hypervisor example: the H-extension hart', () => {
  it('SRET with hstatus.SPV enters VS-mode; there satp names vsatp, and an H CSR is a virtual-instruction exception', () => {
    const guest = guestHart([rv.csrrs(10, Csr.satp, 0), rv.csrrs(11, HCsr.hgatp, 0)]);
    guest.csr.virtualized = false; // as HS-mode would, before the SRET: vsatp = Bare, ASID 5
    guest.csr.write(HCsr.vsatp, 5n << 44n);
    guest.csr.virtualized = true;
    expect(guest.modeName).toBe('VS');
    expect(guest.mmu.virtualized).toBe(true);
    expect(guest.mmu.privilege).toBe(Privilege.Supervisor);
    expect(guest.csr.hstatus & Hstatus.SPV).toBe(0n); // SRET cleared it
    guest.step();
    expect(guest.x[10]).toBe(5n << 44n);
    expect(guest.mmu.guestAsid).toBe(5);
    guest.step();
    expect(guest.modeName).toBe('HS');
    expect(guest.csr.scause).toBe(BigInt(HCause.VirtualInstruction));
    expect(guest.csr.stval).toBe(BigInt(rv.csrrs(11, HCsr.hgatp, 0)));
    expect(guest.csr.sepc).toBe(BigInt(RAM_BASE + 4));
    expect(guest.csr.hstatus & (Hstatus.SPV | Hstatus.SPVP | Hstatus.GVA)).toBe(Hstatus.SPV | Hstatus.SPVP);
    expect(guest.csr.sstatus & Sstatus.SPP).toBe(Sstatus.SPP);
    expect(guest.pc).toBe(BigInt(HS_VECTOR));
    expect(guest.exits.get(HCause.VirtualInstruction)).toBe(1);
    expect(guest.csr.satp).toBe(0n); // the host's satp: the guest wrote none, and read vsatp
  });

  it('an ecall from VS-mode exits to HS-mode (10); from VU-mode it is 8, taken in VS-mode when hedeleg says so', () => {
    const vs = guestHart([rv.ecall()]);
    vs.step();
    expect(vs.modeName).toBe('HS');
    expect(vs.csr.scause).toBe(BigInt(HCause.EcallFromVS));
    expect(vs.csr.hstatus & Hstatus.GVA).toBe(0n);

    const vu = guestHart([rv.ecall()], Mode.User, 1n << BigInt(Cause.EcallFromU));
    expect(vu.modeName).toBe('VU');
    expect(vu.mmu.privilege).toBe(Privilege.User);
    vu.step();
    expect(vu.modeName).toBe('VS');
    expect(vu.mmu.virtualized).toBe(true);
    expect(vu.csr.vscause).toBe(BigInt(Cause.EcallFromU));
    expect(vu.csr.vsepc).toBe(BigInt(RAM_BASE));
    expect(vu.csr.vsstatus & Sstatus.SPP).toBe(0n); // came from VU
    expect(vu.pc).toBe(BigInt(VS_VECTOR));
    expect(vu.vsTrapCount(Cause.EcallFromU)).toBe(1);
    expect(vu.traps.size).toBe(0);
    // In VS-mode, scause reads vscause; SRET returns to VU-mode at vsepc.
    expect(vu.csr.read(Csr.scause)).toBe(BigInt(Cause.EcallFromU));
    vu.returnFromTrap();
    expect(vu.modeName).toBe('VU');
    expect(vu.pc).toBe(BigInt(RAM_BASE));
  });

  it('HLV and HSV reach guest memory through both stages; a G-stage fault is a guest-page fault with htval and GVA', () => {
    // G-stage (Sv39x4) at RAM_BASE + 0x4000: GPA 0x1000 -> HPA RAM_BASE + 0x2000, and nothing else.
    const root = RAM_BASE + 0x4000;
    const l1 = RAM_BASE + 0x8000;
    const l0 = RAM_BASE + 0x9000;
    const hart = hsHart([
      rv.lui(11, 0x1), // a1 = GPA 0x1000 (vsatp Bare: also the guest-virtual address)
      hlv(3, 0, 10, 11), // hlv.d a0, (a1)
      rv.addi(12, 0, -2),
      hsv(0, 12, 11), // hsv.b a2, (a1): the low byte of -2
      hlv(0, 0, 13, 11), // hlv.b a3, (a1): sign-extended
      hlv(0, 1, 14, 11), // hlv.bu a4, (a1)
      rv.lui(11, 0x3), // GPA 0x3000: not mapped
      hlv(2, 1, 15, 11), // hlv.wu a5, (a1): a load guest-page fault
    ]);
    const memory = hart.mmu.memory;
    memory.write64(root, (BigInt(l1 >>> 12) << 10n) | 1n);
    memory.write64(l1, (BigInt(l0 >>> 12) << 10n) | 1n);
    memory.write64(l0 + 8, (BigInt((RAM_BASE + 0x2000) >>> 12) << 10n) | 0xdfn); // V R W X U A D
    memory.write64(RAM_BASE + 0x2000, 0x1122_3344_5566_7788n);
    hart.csr.write(HCsr.hgatp, (8n << 60n) | (3n << 44n) | BigInt(root >>> 12));
    hart.csr.write(HCsr.hstatus, Hstatus.SPVP);
    expect(hart.mmu.hgatp).toEqual({ mode: GStageMode.Sv39x4, root, vmid: 3 });
    for (let n = 0; n < 7; n++) hart.step();
    expect(hart.x[10]).toBe(0x1122_3344_5566_7788n);
    expect(memory.read8(RAM_BASE + 0x2000)).toBe(0xfe);
    expect(hart.x[13]).toBe(BigInt.asUintN(64, -2n));
    expect(hart.x[14]).toBe(0xfen);
    hart.step();
    expect(hart.modeName).toBe('HS');
    expect(hart.csr.scause).toBe(BigInt(HCause.LoadGuestPageFault));
    expect(hart.csr.stval).toBe(0x3000n);
    expect(hart.csr.htval).toBe(0x3000n >> 2n);
    // From HS-mode: SPV = 0, but stval is a guest-virtual address.
    expect(hart.csr.hstatus & (Hstatus.SPV | Hstatus.GVA)).toBe(Hstatus.GVA);
    expect(hart.x[15]).toBe(0n);
    expect(hart.hypervisorOps).toMatchObject({ hlv: 3, hsv: 1 });
    expect(hart.exits.size).toBe(0);
  });

  it('HLV in VS-mode is a virtual-instruction exception, in U-mode (V=0) an illegal instruction', () => {
    const vs = guestHart([hlv(3, 0, 10, 11)]);
    vs.step();
    expect(vs.csr.scause).toBe(BigInt(HCause.VirtualInstruction));
    const hart = hsHart([rv.auipc(1, 0), rv.addi(2, 1, 0x10), rv.csrrw(0, Csr.sepc, 2), rv.sret(), hlv(3, 0, 10, 11)]);
    for (let n = 0; n < 5; n++) hart.step();
    expect(hart.csr.scause).toBe(BigInt(Cause.IllegalInstruction));
    expect(hart.csr.stval).toBe(BigInt(hlv(3, 0, 10, 11)));
  });
});
