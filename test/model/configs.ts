/**
 * The machines the model-based sequences run on, and how many sequences CI
 * gives each. The soak script (soak.ts) runs the same configurations for as
 * long as it is asked to.
 */
import type { KernelOptions } from '../../src/index.js';
import type { ImageName } from './ops.js';

export interface RunConfig {
  /** Shown in test names and failure messages. */
  readonly name: string;
  /** Kernel options; `cpus` is always given. */
  readonly kernel: KernelOptions & { cpus: number };
  /** Highest user address + 1 for the format (§1.1; the lower half of a 39-bit space on Sv39). */
  readonly userTop: number;
  /** Images a sequence may load: PE32+ only where the address space is wider than 32 bits. */
  readonly images: readonly ImageName[];
  /** Sequences per CI run. */
  readonly ciRuns: number;
  /** Longest sequence. */
  readonly maxLength: number;
}

const IMAGES_32: readonly ImageName[] = ['few32.dll', 'norelocs32.dll', 'hello32.exe'];
const IMAGES_ALL: readonly ImageName[] = [...IMAGES_32, 'absolute64.dll'];
const X86_64_TOP = 0x7fff_ffff_0000;
const SV39_TOP = 2 ** 38;
const PAE_TOP = 0x7fff_0000;
/**
 * 4 MiB of RAM (1024 frames): a sequence has a few dozen frames in use at its peak, so
 * frames never run out (the model has no notion of running out), and a small RAM keeps
 * verify() fast. The commit limit is far above anything a sequence commits; one
 * configuration sets a small one of its own, which sequences reach (the model counts commit).
 */
const MEMORY = { memorySize: 4 << 20, commitLimit: 1 << 20 };

export const CONFIGS: readonly RunConfig[] = [
  { name: 'x86-64, 1 CPU', kernel: { format: 'x86-64', cpus: 1, ...MEMORY }, userTop: X86_64_TOP, images: IMAGES_ALL, ciRuns: 300, maxLength: 40 },
  { name: 'x86-64, 2 CPUs', kernel: { format: 'x86-64', cpus: 2, ...MEMORY }, userTop: X86_64_TOP, images: IMAGES_ALL, ciRuns: 450, maxLength: 40 },
  { name: 'Sv39, 2 CPUs', kernel: { format: 'sv39', cpus: 2, ...MEMORY }, userTop: SV39_TOP, images: IMAGES_ALL, ciRuns: 450, maxLength: 40 },
  { name: 'PAE, 2 CPUs', kernel: { format: 'x86-pae', cpus: 2, ...MEMORY }, userTop: PAE_TOP, images: IMAGES_32, ciRuns: 400, maxLength: 40 },
  {
    // A commit limit a sequence reaches: ERROR_COMMITMENT_LIMIT and STATUS_COMMITMENT_LIMIT from every call that charges commit.
    name: 'PAE, 1 CPU, small commit limit',
    kernel: { format: 'x86-pae', cpus: 1, ...MEMORY, commitLimit: 48 },
    userTop: PAE_TOP,
    images: IMAGES_32,
    ciRuns: 250,
    maxLength: 40,
  },
  {
    name: 'x86-64, 2 CPUs, ASLR',
    kernel: { format: 'x86-64', cpus: 2, ...MEMORY, relocationPolicy: 'aslr' },
    userTop: X86_64_TOP,
    images: IMAGES_ALL,
    ciRuns: 200,
    maxLength: 40,
  },
  {
    name: 'x86-64, 2 CPUs, MMUs in fast mode',
    kernel: { format: 'x86-64', cpus: 2, ...MEMORY, mode: 'fast' },
    userTop: X86_64_TOP,
    images: IMAGES_ALL,
    ciRuns: 250,
    maxLength: 40,
  },
  {
    name: 'x86-64, 2 CPUs, no ASIDs, no zero-page sharing',
    kernel: { format: 'x86-64', cpus: 2, ...MEMORY, asids: false, zeroPageSharing: false },
    userTop: X86_64_TOP,
    images: IMAGES_ALL,
    ciRuns: 250,
    maxLength: 40,
  },
];
