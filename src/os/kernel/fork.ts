import { Allocation } from '../records/allocation.js';
import type { Process } from './process.js';
import { NO_FRAME } from '../records/section.js';
import { VIEW_UNMAP } from '../rules/constants.js';
import { inheritHandles } from '../objects/handles.js';

/**
 * POSIX-style fork (not a Windows call; NT has it only for POSIX subsystems):
 * the child gets a copy of every allocation record. Frames the parent owns
 * (private pages, copied view pages) are shared with the child and both map
 * them read-only, so the first write by either copies (or, once the other has
 * let go, reuses) the frame. Shared view pages keep mapping the section's
 * frames in both.
 *
 * Handles: the child gets the parent's inheritable handles (HANDLE_FLAG_INHERIT) at the same values, with the
 * same access and attributes, as a process created with handle inheritance does.
 *
 * A view mapped with InheritDisposition {@link VIEW_UNMAP} (NtMapViewOfSection) is left out of the child;
 * every other view is mapped in it, sharing the section's pages, and a copy-on-write view charges the
 * child the commit it charged the parent (B77).
 *
 * Write watch (B103): a write-watched allocation stays write-watched in the child, which starts
 * with a copy of the parent's records (the pages written since the last reset) and keeps its own
 * from then on: a write, a reset or a GetWriteWatch in one process does not touch the other's. A
 * page both processes share copy-on-write is read-only in both anyway, so the first write by
 * either is recorded by the same fault that copies the page.
 *
 * All or nothing: if the commit charge or a frame for the child's page tables
 * runs out, the child is destroyed and the parent is as it was (its entries may
 * have become read-only, which only costs it a fault per page).
 *
 * @internal Called through {@link Process.fork}.
 */
export function forkProcess(parent: Process): Process {
  const kernel = parent.kernel;
  kernel.requireLive(parent);
  const child = kernel.createProcess();
  try {
    // Handle inheritance: the parent's inheritable handles, at the same values (Microsoft's "Handle Inheritance").
    child.adoptHandles(inheritHandles(parent));
    // A view mapped with InheritDisposition ViewUnmap stays out of the child.
    const inherited = [...parent.regions].filter((allocation) => allocation.view?.inheritDisposition !== VIEW_UNMAP);
    let charge = 0;
    for (const allocation of inherited) {
      if (allocation.view === null) for (let i = 0; i < allocation.pageCount; i++) charge += allocation.committed[i];
      else charge += allocation.view.commitCharge ?? 0; // B77: the child's copy-on-write view is charged as the parent's was
    }
    kernel.charge(charge);
    // Until every allocation is in place, exit() must not uncharge what was not charged yet: insert all records first.
    const copies: Array<[Allocation, Allocation]> = [];
    for (const allocation of inherited) {
      const copy = new Allocation(allocation.base, allocation.size, allocation.allocationProtect, allocation.type, allocation.view, allocation.writeWatch !== null);
      if (allocation.writeWatch !== null) copy.writeWatch!.set(allocation.writeWatch);
      copy.protect.set(allocation.protect);
      copy.committed.set(allocation.committed);
      copy.copied.set(allocation.copied);
      child.regions.insert(copy);
      if (allocation.view !== null) allocation.view.section.viewCount++;
      copies.push([allocation, copy]);
    }
    for (const [original, copy] of copies) {
      for (let i = 0; i < original.pageCount; i++) {
        const frame = original.frame[i];
        if (frame === NO_FRAME) continue;
        kernel.frames.retain(frame);
        copy.frame[i] = frame;
        child.space.syncPage(copy, i, kernel.zeroFrame);
        // The parent's entry becomes read-only if the frame is now shared.
        if (original.ownsFrameAt(i) && parent.space.syncPage(original, i, kernel.zeroFrame)) {
          kernel.shootdown(parent, original.base + i * 4096, null);
        }
      }
    }
  } catch (error) {
    child.exit();
    throw error;
  }
  return child;
}
