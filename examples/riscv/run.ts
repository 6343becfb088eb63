/**
 * Boots the guest kernel (guest/kernel.bin) on the emulated RISC-V board,
 * prints what it printed, then the run's statistics.
 *
 * Run: npm run demo:riscv
 */
import { readFileSync } from 'node:fs';
import { Machine, type RunResult } from './machine.js';

/** The committed guest image, built by guest/build.sh. */
export const KERNEL_IMAGE = new URL('./guest/kernel.bin', import.meta.url);

export function loadKernel(): Uint8Array {
  return new Uint8Array(readFileSync(KERNEL_IMAGE));
}

/** The statistics lines run.ts prints after the console output. */
export function report(r: RunResult): string[] {
  const tlb = r.mmu.tlb;
  const row = (name: string, s: { hits: number; misses: number }) =>
    `  ${name.padEnd(8)} ${String(s.hits).padStart(7)} hits ${String(s.misses).padStart(5)} misses`;
  const pageFaults = r.pageFaults.fetch + r.pageFaults.load + r.pageFaults.store;
  return [
    `exit code ${r.exitCode}`,
    `instructions retired ${r.instructions}`,
    `page faults taken by the guest ${pageFaults} (load ${r.pageFaults.load}, store ${r.pageFaults.store}, fetch ${r.pageFaults.fetch})`,
    `system calls ${r.syscalls}, satp writes ${r.satpWrites} (satp 0x${r.satp.toString(16)}), sfence.vma ${r.sfences}`,
    `page walks ${r.mmu.walks}, PTE reads ${r.mmu.pteReads}, A/D writes ${r.mmu.pteWrites}, walk-cache hits ${r.mmu.walkCacheHits}`,
    'TLBs:',
    row('L1 ITLB', tlb.l1i),
    row('L1 DTLB', tlb.l1d),
    ...(tlb.l2 ? [row('L2 TLB', tlb.l2)] : []),
    `emulated memory cycles (mmu.cycles) ${r.mmu.cycles}`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = new Machine(loadKernel()).run();
  process.stdout.write(result.console);
  console.log('---');
  for (const line of report(result)) console.log(line);
  process.exitCode = result.exitCode;
}
