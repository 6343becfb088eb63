/**
 * What a saved state may hold of a kernel: the classes of its records (processes, allocations, sections,
 * handles, threads, modules, …) under stable names, on top of the hardware's (mmu/machine-state-codec.ts),
 * and the objects that are the machine's (physical memory, the frame allocator, each CPU's MMU, formats)
 * or are rebuilt on load (a parsed PE image, from its file's bytes: the parser's registry of images must
 * know it).
 * @module
 */
import { FrameAllocator } from '../../mmu/frame-allocator.js';
import { formatExternalName, formatOfExternalName, isTranslationCache, MACHINE_STATE_CLASSES } from '../../mmu/machine-state-codec.js';
import { Mmu } from '../../mmu/mmu.js';
import { PageTableBuilder } from '../../mmu/page-table-builder.js';
import { PhysicalMemory } from '../../mmu/physical-memory.js';
import type { GraphCodec, Rebuilder, StateClass } from '../../mmu/state-graph.js';
import { ExportTable } from '../image/pe-directories.js';
import { isPeImage, parsePe, type PeImage } from '../image/pe-parser.js';
import { AddressSpace } from '../records/address-space.js';
import { Allocation } from '../records/allocation.js';
import { Leaf, RegionTree } from '../records/region-tree.js';
import { FileCache, Section } from '../records/section.js';
import { FileObject } from '../objects/file-object.js';
import { HandleTable } from '../objects/handle-table.js';
import { ModuleList } from '../objects/module-list.js';
import { ObjectNamespace } from '../objects/object-namespace.js';
import { Thread } from '../objects/threads.js';
import { Cpu } from './cpu.js';
import { Kernel } from './kernel.js';
import { Process } from './process.js';

let classes: ReadonlyMap<string, StateClass> | null = null;

/**
 * @internal The classes a kernel's saved state may hold, by the name each is saved under. Made on first use:
 * this file and kernel.ts import each other, so the classes cannot be read while the modules load.
 */
export function kernelStateClasses(): ReadonlyMap<string, StateClass> {
  return (classes ??= new Map<string, StateClass>([
  ...MACHINE_STATE_CLASSES,
  ['Kernel', Kernel],
  ['Process', Process],
  ['Cpu', Cpu],
  ['Section', Section],
  ['FileCache', FileCache],
  ['Allocation', Allocation],
  ['AddressSpace', AddressSpace],
  ['RegionTree', RegionTree],
  ['RegionTreeLeaf', Leaf],
  ['PageTableBuilder', PageTableBuilder],
  ['HandleTable', HandleTable],
  ['ObjectNamespace', ObjectNamespace],
  ['FileObject', FileObject],
  ['Thread', Thread],
  ['ModuleList', ModuleList],
  ['ExportTable', ExportTable],
  ]));
}

/** A parsed PE image, saved as its bytes and parsed again on load. */
const PE_IMAGE: Rebuilder = {
  name: 'PeImage',
  matches: isPeImage,
  part: (image) => (image as PeImage).bytes,
  build: (bytes) => parsePe(bytes as Uint8Array),
};

/** @internal The codec of `kernel`'s records: its machine's parts by name, PE images rebuilt. */
export function kernelCodec(kernel: Kernel): GraphCodec {
  const mmus = kernel.cpus.map((cpu) => cpu.mmu);
  return {
    classes: kernelStateClasses(),
    externalName: (value) => {
      if (value instanceof PhysicalMemory) return value === kernel.memory ? 'memory' : 'another memory';
      if (value instanceof FrameAllocator) return value === kernel.frames ? 'frames' : 'another frame allocator';
      if (value instanceof Mmu) return mmus.includes(value) ? `mmu:${mmus.indexOf(value)}` : 'another MMU';
      return formatExternalName(value);
    },
    external: (name) => {
      if (name === 'memory') return kernel.memory;
      if (name === 'frames') return kernel.frames;
      if (name.startsWith('mmu:')) return mmus[Number(name.slice(4))];
      return formatOfExternalName(name);
    },
    keepFresh: isTranslationCache,
    rebuilders: [PE_IMAGE],
  };
}
