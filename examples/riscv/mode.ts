/** Privilege modes the hart has, with their RISC-V encoding (also that of sstatus.SPP). No M-mode: see hart.ts. */
export const Mode = { User: 0, Supervisor: 1 } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];
