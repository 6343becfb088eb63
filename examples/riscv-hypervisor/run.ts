/**
 * Boots the hypervisor (guest/hypervisor.bin, which carries its guest kernel) on the
 * emulated RISC-V board with the H extension, prints what both printed, then the run's
 * statistics.
 *
 * Run: npm run demo:hypervisor
 */
import { readFileSync } from 'node:fs';
import { printRun, tlbReport } from '../riscv/run.js';
import { HypervisorMachine, type FaultCounts, type HypervisorRunResult } from './machine.js';

/** The committed image, built by guest/build.sh. */
export const HYPERVISOR_IMAGE = new URL('./guest/hypervisor.bin', import.meta.url);

export function loadHypervisor(): Uint8Array {
  return new Uint8Array(readFileSync(HYPERVISOR_IMAGE));
}

const total = (f: FaultCounts) => f.fetch + f.load + f.store;
const kinds = (f: FaultCounts) => `fetch ${f.fetch}, load ${f.load}, store ${f.store}`;

/** The statistics lines run.ts prints after the console output. */
export function report(r: HypervisorRunResult): string[] {
  const ops = r.hypervisorOps;
  return [
    `exit code ${r.exitCode}`,
    `instructions retired ${r.instructions} (guest, V=1: ${r.guestInstructions}; hypervisor: ${r.instructions - r.guestInstructions})`,
    `guest-page faults taken by the hypervisor ${total(r.guestPageFaults)} (${kinds(r.guestPageFaults)})`,
    `page faults taken by the guest kernel ${total(r.vsPageFaults)} (${kinds(r.vsPageFaults)})`,
    `SBI calls from the guest ${r.hypercalls}; HLV ${ops.hlv}, HLVX ${ops.hlvx}, HSV ${ops.hsv}`,
    `HFENCE.GVMA ${ops.hfenceGvma}, HFENCE.VVMA ${ops.hfenceVvma}, SFENCE.VMA ${r.sfences}`,
    `hgatp 0x${r.hgatp.toString(16)}, vsatp 0x${r.vsatp.toString(16)}`,
    `page walks ${r.mmu.walks}, PTE reads ${r.mmu.pteReads}, A/D writes ${r.mmu.pteWrites}, faults ${r.mmu.faults}`,
    ...tlbReport(r.mmu),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = new HypervisorMachine(loadHypervisor()).run();
  printRun(result, report(result));
}
