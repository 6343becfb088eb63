/**
 * mmukit: an emulated MMU for emulator authors.
 *
 * The hardware half: {@link PhysicalMemory} with ROM and MMIO regions, a
 * {@link FrameAllocator}, page-table formats for x86 and RISC-V with a
 * {@link PageTableBuilder}, hardware walkers, set-associative TLBs
 * ({@link Tlb}, {@link TlbHierarchy}) and the per-CPU {@link Mmu} with its
 * cycle model and precise faults ({@link TranslationFault},
 * {@link PageFaultError}).
 *
 * The kernel half: a {@link Kernel} with Windows-style memory management on
 * that hardware: {@link Process} (VirtualAlloc, VirtualProtect, VirtualQuery,
 * views of a {@link Section}, PE images), the exceptions a Windows program
 * would see ({@link WindowsExceptionError}) and the errors a failed call
 * reports ({@link WindowsError}, with the Win32 error and the NTSTATUS).
 *
 * Units, everywhere: addresses and sizes are in bytes; frame numbers are
 * physical addresses / 4096; a page shift is log2 of a page size in bytes
 * (12 = 4 KiB, 21 = 2 MiB, 30 = 1 GiB); latencies and counters are emulated
 * CPU cycles.
 *
 * @packageDocumentation
 * @module mmukit
 */

// Hardware half: physical memory
export { PhysicalMemory, FRAME_SIZE, FRAME_SHIFT } from './mmu/physical-memory.js';
export type { PhysicalMemoryOptions, UnmappedPolicy } from './mmu/physical-memory.js';
export type { MmioDevice, PhysicalRegion, RomWritePolicy } from './mmu/address-map.js';
export { FrameAllocator } from './mmu/frame-allocator.js';
export { MachineSnapshots, MachineSnapshot } from './mmu/machine-snapshots.js';
export type { MachineSnapshotsOptions, RestoreResult } from './mmu/machine-snapshots.js';
export { SAVED_STATE_VERSION } from './mmu/saved-state.js';
export type { SavedStateKind } from './mmu/saved-state.js';

// Tracing
export { TraceRecorder, DEFAULT_TRACE_CAPACITY, MAX_TRACE_CAPACITY } from './mmu/trace-recorder.js';
export type { TraceRecorderOptions, TraceTrackNames, TraceTrack, TraceEvent, TraceEventKind, TraceEventBase, TraceWalkEvent, TraceTlbFillEvent, TraceTlbEvictionEvent, TraceFaultEvent, TraceFaultHandledEvent, TraceResolutionEvent, TraceZeroFillEvent, TraceFrameCopyEvent, TraceReadInEvent, TraceShootdownEvent, TraceInvalidationEvent, TraceResolution, TraceTlbLevel } from './mmu/trace-recorder.js';
export { toChromeTrace, DEFAULT_CYCLES_PER_MICROSECOND } from './mmu/chrome-trace.js';
export type { ChromeTrace, ChromeTraceEvent, ChromeTraceOptions } from './mmu/chrome-trace.js';
export type { FrameAllocatorOptions } from './mmu/frame-allocator.js';

// Errors
export { MmukitError, InvalidArgumentError, PhysicalAccessError, OutOfFramesError, SavedStateError } from './mmu/errors.js';
export type { SavedStateErrorReason } from './mmu/errors.js';
export { MMUKIT_ERROR_CODES, HARDWARE_ERROR_CODES, NT_STATUS_NAMES } from './mmu/error-codes.js';
export type { MmukitErrorCode, NtStatusName } from './mmu/error-codes.js';

// Access kinds, permissions, control bits
export { Access, Privilege, accessName, privilegeName } from './mmu/access.js';
export type { TranslatedPrivilege } from './mmu/access.js';
export { Perm, PERM_CLASSES, accessAllowed, buildPermissionTable, permRow } from './mmu/permissions.js';
export type { Architecture } from './mmu/permissions.js';
export { defaultControls } from './mmu/controls.js';
export type { ControlState } from './mmu/controls.js';

// Page-table formats
export { X86_64, X86_64_LA57, X86_32, X86_PAE, SV32, SV39, SV48, SV57, FORMAT_NAMES, formatByName, readPte, writePte } from './mmu/formats/format.js';
export type { FormatName, PageTableFormat, PageTableLevel } from './mmu/formats/format.js';
export { X86_PTE, X86_PTE_XD, X86_PTE_XD_HIGH, encodeX86Pte, decodeX86Pte, readX86Pte, writeX86Pte } from './mmu/formats/x86.js';
export type { X86PteFields } from './mmu/formats/x86.js';
export { RISCV_PTE, RISCV_PTE_HIGH, RISCV_PBMT, encodeRiscvPte, decodeRiscvPte, readRiscvPte, writeRiscvPte } from './mmu/formats/riscv.js';
export type { RiscvPteFields, RiscvEncodeOptions } from './mmu/formats/riscv.js';
export { PageTableBuilder } from './mmu/page-table-builder.js';
export type { MappingAttributes, MappedPage } from './mmu/page-table-builder.js';
export { SecondStageTableBuilder } from './mmu/second-stage-table-builder.js';
export type { GStageTableKind, EptTableKind, SecondStageKind, GStageMappingAttributes, EptMappingAttributes, SecondStageMappingAttributes, SecondStagePage, HgatpValue, EptpOptions } from './mmu/second-stage-table-builder.js';

// Walkers
export type { PageWalker } from './mmu/walker.js';
export { WalkResult } from './mmu/walk-result.js';
export type { PageTableAccess } from './mmu/walk-result.js';
export { createWalker } from './mmu/walkers/create-walker.js';
export type { WalkerOptions } from './mmu/walkers/create-walker.js';
export { X86Walker } from './mmu/walkers/x86-walker.js';
export type { X86WalkerOptions } from './mmu/walkers/x86-walker.js';
export { RiscvWalker } from './mmu/walkers/riscv-walker.js';
export type { RiscvWalkerOptions } from './mmu/walkers/riscv-walker.js';
export { TableWalker } from './mmu/walkers/table-walker.js';
// Second-stage walkers (nested paging), on their own: not yet wired into Mmu and its TLBs.
export { EptWalker, EPT_ENTRY, EPTP, EptAccessOrigin } from './mmu/walkers/ept-walker.js';
export type { EptWalkerOptions } from './mmu/walkers/ept-walker.js';
export { EptNestedWalker } from './mmu/walkers/ept-nested-walker.js';
export type { EptNestedWalkerOptions } from './mmu/walkers/ept-nested-walker.js';
export { EptWalkResult, EptNestedWalkResult, EptOutcome, EptPermission, EptQualification, NestedWalkStage } from './mmu/walkers/ept-walk-result.js';
export { RiscvGStageWalker, GStageMode, GSTAGE_ROOT_SIZE, gStageLevels, gStageAddressBits } from './mmu/walkers/riscv-gstage-walker.js';
export { RiscvTwoStageWalker, defaultVsControls } from './mmu/walkers/riscv-two-stage-walker.js';
export type { VsControls } from './mmu/walkers/riscv-two-stage-walker.js';
export { TwoStageWalkResult, TranslationStage, GuestPageFaultCause, HtinstPseudo } from './mmu/walkers/two-stage-walk-result.js';
export { GuestFaultStage } from './mmu/walkers/guest-walker.js';
export type { Hgatp, EptState } from './mmu/virtualization-registers.js';
export { WalkCache, DEFAULT_X86_WALK_CACHE, defaultWalkCacheConfig } from './mmu/walk-cache.js';
export type { WalkCacheConfig, WalkCacheLevelConfig } from './mmu/walk-cache.js';
export { MAX_PMP_ENTRIES, Pmp, PmpConfig, PmpMatch } from './mmu/pmp.js';

// Faults
export { FaultReason, faultReasonName } from './mmu/fault-reason.js';
export {
  TranslationFault,
  PageFaultError,
  FaultLoopError,
  FaultResolution,
  X86PageFaultCode,
  X86Vector,
  RiscvCause,
} from './mmu/fault.js';
export type { TranslationFaultJson, GuestFault } from './mmu/fault.js';
export { FaultRecord } from './mmu/fault-record.js';
export type { FaultHandler } from './mmu/fault-handler.js';

// The MMU and its cycle model
export { FAULTED, Mmu } from './mmu/mmu.js';
export type { MmuMode, MmuOptions, MmuStats, MmuTlbStats } from './mmu/mmu.js';
export type { WideSize } from './mmu/wide-access.js';
export { TRANSLATION_CACHE_SLOTS, TranslationCache } from './mmu/translation-cache.js';
export { SKYLAKE_CYCLES, resolveCycleModel } from './mmu/cycle-model.js';
export type { CycleModel } from './mmu/cycle-model.js';

// TLBs
export * from './tlb/index.js';

// Kernel half: Windows-style memory management
export * from './os/rules/constants.js';
export * from './os/rules/errors.js';
export * from './os/rules/protection.js';
export { Kernel } from './os/kernel/kernel.js';
export type { KernelOptions, KernelTraceOptions } from './os/kernel/kernel.js';
export { KernelSnapshot } from './os/kernel/kernel-snapshots.js';
export type { KernelRestoreResult } from './os/kernel/kernel-snapshots.js';
export { DEFAULT_KERNEL_CYCLES } from './os/records/kernel-stats.js';
export type { KernelCycleModel, KernelStats } from './os/records/kernel-stats.js';
export { Cpu } from './os/kernel/cpu.js';
export { Process } from './os/kernel/process.js';
export type { NtTransfer } from './os/memory/process-memory.js';
export type { MemoryBasicInformation } from './os/memory/virtual-memory.js';
export { MemoryInformationClass, MemoryRegionType } from './os/memory/nt-virtual-memory.js';
export type { NtMapViewOptions, NtMapViewResult } from './os/memory/nt-map-view.js';
export type { NtFlushResult, IoStatusBlock } from './os/memory/nt-lock-flush.js';
export { HandleTable, MAX_HANDLES } from './os/objects/handle-table.js';
export type { HandleEntry, KernelObject } from './os/objects/handle-table.js';
export { FileObject } from './os/objects/file-object.js';
export { MAX_OBJECT_NAME, objectPath } from './os/objects/object-namespace.js';
export type { CreateFileMappingResult } from './os/objects/handles.js';
export type { NtCreateSectionOptions, NtHandleResult } from './os/objects/nt-objects.js';
export { Thread, stackSizes, STACK_SIZE_PARAM_IS_A_RESERVATION, STACK_GUARD_PAGE_SIZE, DEFAULT_STACK_RESERVE, DEFAULT_STACK_COMMIT } from './os/objects/threads.js';
export type { CreateThreadOptions, StackSizes } from './os/objects/threads.js';
export { CREATE_REMOTE_THREAD_ACCESS } from './os/objects/process-handles.js';
export type { CreateRemoteThreadResult } from './os/objects/process-handles.js';
export {
  ExportTable,
  IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT,
  IMAGE_DIRECTORY_ENTRY_EXPORT,
  IMAGE_DIRECTORY_ENTRY_IAT,
  IMAGE_DIRECTORY_ENTRY_IMPORT,
  IMAGE_DIRECTORY_ENTRY_TLS,
  IMAGE_ORDINAL_FLAG32,
  IMAGE_ORDINAL_FLAG64,
  fileReader,
  parseForwarder,
  peExports,
  peImports,
  peTlsDirectory,
  readImports,
  readTlsDirectory,
} from './os/image/pe-directories.js';
export type {
  ImageReader,
  PeExport,
  PeExportDirectory,
  PeExports,
  PeExportTarget,
  PeForwarder,
  PeImportDescriptor,
  PeImportThunk,
  PeTlsDirectory,
} from './os/image/pe-directories.js';
export type { LoadLibraryResult, LoadedModule, ModuleResolver, ModuleSource, ModuleTls } from './os/objects/modules.js';
export type { NtRegionResult, NtProtectResult, NtQueryResult, MemoryRegionInformation, MemoryImageInformation, MemoryInformationByClass } from './os/memory/nt-virtual-memory.js';
export { Section, NO_FRAME } from './os/records/section.js';
export { ImageFlags } from './os/records/section-information.js';
export type { SectionBasicInformation, SectionImageInformation } from './os/records/section-information.js';
export type { SectionOptions, ViewOptions } from './os/memory/sections.js';
export { Allocation } from './os/records/allocation.js';
export type { ViewInfo } from './os/records/allocation.js';
export { AddressSpace } from './os/records/address-space.js';
export { RegionTree } from './os/records/region-tree.js';
export type { RegionBounds } from './os/records/region-tree.js';
export { processReport, systemReport, formatProcessReport } from './os/reports/reports.js';
export type { RegionReport, ProcessReport, SystemReport, CpuReport } from './os/reports/reports.js';
export { verify } from './os/reports/verify.js';
export type { VerifyProblem, VerifyProblemKind } from './os/reports/verify.js';
export { aslrEligible } from './os/memory/image-views.js';
export type { RelocationPolicy, LoadImageOptions, LoadedImage, ImageViewOptions, ImageView, ImageSectionOptions } from './os/memory/image-views.js';
export { imageReport, frameMappingCounts } from './os/reports/image-report.js';
export type { ImageReport, ImageReportPages } from './os/reports/image-report.js';
export type { ImageInfo } from './os/records/section.js';
export { ImageFormatError } from './os/image/image-format-error.js';
export { parsePe } from './os/image/pe-parser.js';
export type { PeImage, PeSection, PeRelocation, PeDataDirectory } from './os/image/pe-parser.js';
export { pageProtections, sharedPages, sectionProtection, originalPage, originalImage, fixupPages, imagePageCount } from './os/image/layout.js';
export { relocatedPage, relocateImage } from './os/image/relocate.js';
