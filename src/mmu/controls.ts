/**
 * Control bits that change how translations are checked. One object holds the
 * bits of both architectures; each walker reads only its own.
 *
 * | bit | architecture | register | meaning |
 * |---|---|---|---|
 * | `wp` | x86 | CR0.WP | supervisor writes honour R/W |
 * | `nxe` | x86 | EFER.NXE | the XD bit (63) is defined; when clear, XD is reserved and every page is executable |
 * | `smep` | x86 | CR4.SMEP | supervisor fetches from user pages fault |
 * | `smap` | x86 | CR4.SMAP | supervisor data accesses to user pages fault unless `ac` |
 * | `ac` | x86 | `EFLAGS.AC` | lifts SMAP for explicit accesses |
 * | `pse` | x86 32-bit | `CR4.PSE` | `PDE.PS` selects 4 MiB pages |
 * | `pge` | x86 | CR4.PGE | the G bit makes translations global (they survive a CR3 write) |
 * | `sum` | RISC-V | sstatus.SUM | S-mode may load and store to U pages |
 * | `mxr` | RISC-V | sstatus.MXR | loads from execute-only pages succeed |
 * | `hardwareAD` | RISC-V | menvcfg.ADUE (Svadu) | the walker sets A and D; when false (Svade) a clear A, or a clear D on a store, is a page fault |
 */
export interface ControlState {
  /** x86 CR0.WP. */
  wp: boolean;
  /** x86 EFER.NXE. */
  nxe: boolean;
  /** x86 CR4.SMEP. */
  smep: boolean;
  /** x86 CR4.SMAP. */
  smap: boolean;
  /** x86 `EFLAGS.AC`. */
  ac: boolean;
  /** x86 CR4.PSE (32-bit paging only). */
  pse: boolean;
  /** x86 CR4.PGE. */
  pge: boolean;
  /** RISC-V sstatus.SUM. */
  sum: boolean;
  /** RISC-V sstatus.MXR. */
  mxr: boolean;
  /** RISC-V hardware A/D updating (Svadu) when true, fault-on-clear (Svade) when false. */
  hardwareAD: boolean;
}

/**
 * The state after reset as a typical OS leaves it: x86 with WP and NXE on,
 * SMEP/SMAP off, PSE and PGE on; RISC-V with SUM and MXR off and hardware A/D updates.
 *
 * @returns a new object each call (mutate it freely).
 *
 * @example
 * ```ts
 * const mmu = new Mmu({ memory: new PhysicalMemory({ size: 1 << 20 }), format: 'sv39', controls: { hardwareAD: false } });
 * mmu.controls.hardwareAD; // false: Svade, a clear A or D bit is a page fault
 * mmu.controls.sum;        // false: from defaultControls()
 * ```
 */
export function defaultControls(): ControlState {
  return { wp: true, nxe: true, smep: false, smap: false, ac: false, pse: true, pge: true, sum: false, mxr: false, hardwareAD: true };
}
