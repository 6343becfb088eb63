/**
 * Boots the guest kernel (guest/kernel.bin) on the emulated RISC-V board,
 * prints what it printed, then the run's statistics.
 *
 * Run: npm run demo:riscv
 */
import { readFileSync } from 'node:fs';
import type { MmuStats } from '../../src/index.js';
import { Machine, type RunResult } from './machine.js';

/** The committed guest image, built by guest/build.sh. */
export const KERNEL_IMAGE = new URL('./guest/kernel.bin', import.meta.url);

export function loadKernel(): Uint8Array {
  return new Uint8Array(readFileSync(KERNEL_IMAGE));
}

/** The statistics lines run.ts prints after the console output. */
export function report(r: RunResult): string[] {
  const pageFaults = r.pageFaults.fetch + r.pageFaults.load + r.pageFaults.store;
  return [
    `exit code ${r.exitCode}`,
    `instructions retired ${r.instructions}`,
    `page faults taken by the guest ${pageFaults} (load ${r.pageFaults.load}, store ${r.pageFaults.store}, fetch ${r.pageFaults.fetch})`,
    `system calls ${r.syscalls}, satp writes ${r.satpWrites} (satp 0x${r.satp.toString(16)}), sfence.vma ${r.sfences}`,
    `page walks ${r.mmu.walks}, PTE reads ${r.mmu.pteReads}, A/D writes ${r.mmu.pteWrites}, walk-cache hits ${r.mmu.walkCacheHits}`,
    ...tlbReport(r.mmu),
  ];
}

/** The last lines of a report, here and in examples/riscv-hypervisor: the TLBs' hits and misses, and the Mmu's cycles. */
export function tlbReport(mmu: MmuStats): string[] {
  const row = (name: string, s: { hits: number; misses: number }) =>
    `  ${name.padEnd(8)} ${String(s.hits).padStart(7)} hits ${String(s.misses).padStart(5)} misses`;
  const tlb = mmu.tlb;
  return [
    'TLBs:',
    row('L1 ITLB', tlb.l1i),
    row('L1 DTLB', tlb.l1d),
    ...(tlb.l2 ? [row('L2 TLB', tlb.l2)] : []),
    `emulated memory cycles (mmu.cycles) ${mmu.cycles}`,
  ];
}

/** What a demo prints: the console, `---`, the report's lines; the process exits with the guest's code. */
export function printRun(result: { console: string; exitCode: number }, lines: readonly string[]): void {
  process.stdout.write(result.console);
  console.log('---');
  for (const line of lines) console.log(line);
  process.exitCode = result.exitCode;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = new Machine(loadKernel()).run();
  printRun(result, report(result));
}
