// TypeDoc plugin: groups the API reference by the layer each export belongs to, so the site
// lists "Physical memory", "TLBs", "Kernel"... instead of one flat list of 200+ names.
//
// The layer is a property of the source file (the directories follow the layers), so it is
// assigned here from the file an export is declared in rather than by a @group tag repeated on
// every declaration. An export from a file missing below stops the build: a new file must be
// given its layer.

import { Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

/** Display order of the groups (typedoc's groupOrder). */
export const LAYERS = [
  'Physical memory',
  'Formats and walkers',
  'TLBs',
  'MMU',
  'Faults and errors',
  'Kernel',
  'Handles and objects',
  'Windows constants',
  'Sections and images',
  'Reports and checks',
];

/** Source file (relative to the package, a prefix ending in / for a whole directory) → layer. */
const FILES = [
  ['src/mmu/physical-memory.ts', 'Physical memory'],
  ['src/mmu/address-map.ts', 'Physical memory'],
  ['src/mmu/frame-allocator.ts', 'Physical memory'],
  ['src/mmu/machine-snapshots.ts', 'Physical memory'],
  ['src/mmu/saved-state.ts', 'Physical memory'],
  ['src/mmu/formats/', 'Formats and walkers'],
  ['src/mmu/page-table-builder.ts', 'Formats and walkers'],
  ['src/mmu/second-stage-table-builder.ts', 'Formats and walkers'],
  ['src/mmu/walker.ts', 'Formats and walkers'],
  ['src/mmu/walk-result.ts', 'Formats and walkers'],
  ['src/mmu/walkers/', 'Formats and walkers'],
  ['src/mmu/walk-cache.ts', 'Formats and walkers'],
  ['src/tlb/', 'TLBs'],
  ['src/mmu/mmu.ts', 'MMU'],
  ['src/mmu/mmu-options.ts', 'MMU'],
  ['src/mmu/control-registers.ts', 'MMU'],
  ['src/mmu/slow-path.ts', 'MMU'],
  ['src/mmu/bulk-access.ts', 'MMU'],
  ['src/mmu/wide-access.ts', 'MMU'],
  ['src/mmu/pmp.ts', 'MMU'],
  ['src/mmu/pmp-registers.ts', 'MMU'],
  ['src/mmu/virtualization-registers.ts', 'MMU'],
  ['src/mmu/hypervisor-access.ts', 'MMU'],
  ['src/mmu/translation-cache.ts', 'MMU'],
  ['src/mmu/cycle-model.ts', 'MMU'],
  ['src/mmu/access.ts', 'MMU'],
  ['src/mmu/permissions.ts', 'MMU'],
  ['src/mmu/controls.ts', 'MMU'],
  ['src/mmu/trace-recorder.ts', 'MMU'],
  ['src/mmu/chrome-trace.ts', 'MMU'],
  ['src/mmu/errors.ts', 'Faults and errors'],
  ['src/mmu/error-codes.ts', 'Faults and errors'],
  ['src/mmu/fault.ts', 'Faults and errors'],
  ['src/mmu/fault-record.ts', 'Faults and errors'],
  ['src/mmu/fault-reason.ts', 'Faults and errors'],
  ['src/mmu/fault-handler.ts', 'Faults and errors'],
  ['src/os/rules/errors.ts', 'Faults and errors'],
  ['src/os/image/image-format-error.ts', 'Faults and errors'],
  ['src/os/kernel/kernel.ts', 'Kernel'],
  ['src/os/records/kernel-stats.ts', 'Kernel'],
  ['src/os/kernel/cpu.ts', 'Kernel'],
  ['src/os/kernel/process.ts', 'Kernel'],
  ['src/os/kernel/kernel-snapshots.ts', 'Kernel'],
  ['src/os/memory/process-memory.ts', 'Kernel'],
  ['src/os/memory/nt-virtual-memory.ts', 'Kernel'],
  ['src/os/memory/nt-map-view.ts', 'Kernel'],
  ['src/os/memory/nt-lock-flush.ts', 'Kernel'],
  ['src/os/objects/', 'Handles and objects'],
  ['src/os/records/section-information.ts', 'Sections and images'],
  ['src/os/memory/virtual-memory.ts', 'Kernel'],
  ['src/os/records/allocation.ts', 'Kernel'],
  ['src/os/records/address-space.ts', 'Kernel'],
  ['src/os/records/region-tree.ts', 'Kernel'],
  ['src/os/rules/protection.ts', 'Kernel'],
  ['src/os/rules/constants.ts', 'Windows constants'],
  ['src/os/records/section.ts', 'Sections and images'],
  ['src/os/memory/sections.ts', 'Sections and images'],
  ['src/os/reports/image-report.ts', 'Reports and checks'],
  ['src/os/image/', 'Sections and images'],
  ['src/os/memory/image-views.ts', 'Sections and images'],
  ['src/os/reports/reports.ts', 'Reports and checks'],
  ['src/os/reports/verify.ts', 'Reports and checks'],
];

/** The layer of a source file, or undefined when it has none. */
export function layerOf(path) {
  for (const [prefix, layer] of FILES) {
    if (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix) return layer;
  }
  return undefined;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_BEGIN,
    (context) => {
      const project = context.project;
      const unmapped = [];
      for (const module of [project, ...project.getChildrenByKind(ReflectionKind.Module)]) {
        for (const child of module.children ?? []) {
          if (child.kindOf(ReflectionKind.Module)) {
            child.comment ??= new Comment();
            child.comment.blockTags.push(new CommentTag('@group', [{ kind: 'text', text: 'API reference' }]));
            continue;
          }
          const path = project.getSymbolIdFromReflection(child)?.packagePath;
          const layer = path === undefined ? undefined : layerOf(path);
          if (layer === undefined) {
            unmapped.push(`${child.name} (${path ?? 'no source file'})`);
            continue;
          }
          child.comment ??= new Comment();
          child.comment.blockTags.push(new CommentTag('@group', [{ kind: 'text', text: layer }]));
        }
      }
      if (unmapped.length > 0) {
        app.logger.error(`typedoc-plugins/layers.mjs: no layer for ${unmapped.join(', ')}; add its file to FILES`);
      }
    },
    100,
  );
}
