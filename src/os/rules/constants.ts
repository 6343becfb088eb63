/**
 * Windows memory-management constants with their exact SDK names and values,
 * plus the NTSTATUS → Win32 error mapping that
 * `RtlNtStatusToDosError` applies and name lookups for messages.
 *
 * Every value is a plain unsigned `number` (for example `0xC0000005`, never a
 * negative int32). Combine flags with `|` and normalise a result that may have
 * bit 31 set with `>>> 0`.
 *
 * @module
 */

import type { NtStatusName } from '../../mmu/error-codes.js';

// ---------------------------------------------------------------------------
// Sizes and address-space facts
// ---------------------------------------------------------------------------

/** Page size on x86, x64 and ARM64 Windows: 4 KiB. */
export const PAGE_SIZE = 0x1000;
/** Allocation granularity: reservations and views start on 64 KiB boundaries (B2, B63). */
export const ALLOCATION_GRANULARITY = 0x10000;
/** Lowest address a program may allocate at; an explicit base below it fails with STATUS_INVALID_PARAMETER (Wine behaviour). */
export const LOWEST_USER_ADDRESS = 0x10000;
/** Address of KUSER_SHARED_DATA, a read-only page mapped in every process. */
export const MM_SHARED_USER_DATA_VA = 0x7ffe0000;
/** Highest user-mode address of a 32-bit process without /LARGEADDRESSAWARE (SDK `SYSTEM_INFO` value). */
export const MM_HIGHEST_USER_ADDRESS_32 = 0x7ffeffff;
/** Highest user-mode address of a 64-bit process (SDK `SYSTEM_INFO` value). */
export const MM_HIGHEST_USER_ADDRESS_64 = 0x7ffffffeffff;

// ---------------------------------------------------------------------------
// Page protections (PAGE_*)
// ---------------------------------------------------------------------------

/** No access: any read, write or execute faults. Not accepted by CreateFileMapping (B60). */
export const PAGE_NOACCESS = 0x01;
/** Read-only access. */
export const PAGE_READONLY = 0x02;
/** Read and write access. */
export const PAGE_READWRITE = 0x04;
/** Read or copy-on-write access; views only, invalid for private memory (B12). A written page reports PAGE_READWRITE (B78). */
export const PAGE_WRITECOPY = 0x08;
/** Execute-only access. Not accepted by CreateFileMapping (B60). */
export const PAGE_EXECUTE = 0x10;
/** Execute and read access. */
export const PAGE_EXECUTE_READ = 0x20;
/** Execute, read and write access. */
export const PAGE_EXECUTE_READWRITE = 0x40;
/** Execute, read or copy-on-write access; views only. A written page reports PAGE_EXECUTE_READWRITE (B79). */
export const PAGE_EXECUTE_WRITECOPY = 0x80;
/** Modifier: a one-shot guard page raising STATUS_GUARD_PAGE_VIOLATION on first touch (B49–B51). Not with PAGE_NOACCESS (Microsoft's guard-page article). */
export const PAGE_GUARD = 0x100;
/** Modifier: non-cached memory; allocation-wide on modern Windows (B14). */
export const PAGE_NOCACHE = 0x200;
/** Modifier: write-combined memory. */
export const PAGE_WRITECOMBINE = 0x400;
/** Graphics protection: no access (SDK; unused by the emulator). */
export const PAGE_GRAPHICS_NOACCESS = 0x0800;
/** Graphics protection: read-only (SDK; unused by the emulator). */
export const PAGE_GRAPHICS_READONLY = 0x1000;
/** Graphics protection: read/write (SDK; unused by the emulator). */
export const PAGE_GRAPHICS_READWRITE = 0x2000;
/** Graphics protection: execute (SDK; unused by the emulator). */
export const PAGE_GRAPHICS_EXECUTE = 0x4000;
/** Graphics protection: execute/read (SDK; unused by the emulator). */
export const PAGE_GRAPHICS_EXECUTE_READ = 0x8000;
/** Graphics protection: execute/read/write (SDK; unused by the emulator). */
export const PAGE_GRAPHICS_EXECUTE_READWRITE = 0x10000;
/** Graphics protection: coherent (SDK; unused by the emulator). */
export const PAGE_GRAPHICS_COHERENT = 0x20000;
/** Graphics protection: non-cached (SDK; unused by the emulator). */
export const PAGE_GRAPHICS_NOCACHE = 0x40000;
/** Control Flow Guard: mark every location of new executable pages as an invalid call target (same value as PAGE_TARGETS_NO_UPDATE). */
export const PAGE_TARGETS_INVALID = 0x40000000;
/** Control Flow Guard: VirtualProtect leaves call-target information unchanged (same value as PAGE_TARGETS_INVALID). */
export const PAGE_TARGETS_NO_UPDATE = 0x40000000;
/** Revert to the file mapping's protection (same value as PAGE_ENCLAVE_THREAD_CONTROL). */
export const PAGE_REVERT_TO_FILE_MAP = 0x80000000;
/** Enclave thread-control page (same value as PAGE_REVERT_TO_FILE_MAP). */
export const PAGE_ENCLAVE_THREAD_CONTROL = 0x80000000;
/** Enclave page that is not validated. */
export const PAGE_ENCLAVE_UNVALIDATED = 0x20000000;
/** Enclave page mask. */
export const PAGE_ENCLAVE_MASK = 0x10000000;

// ---------------------------------------------------------------------------
// Allocation, free, state and type (MEM_*)
// ---------------------------------------------------------------------------

/** Allocation type: commit pages; also the State of committed pages. */
export const MEM_COMMIT = 0x00001000;
/** Allocation type: reserve address space; also the State of reserved pages. */
export const MEM_RESERVE = 0x00002000;
/** Free type: decommit pages, keeping the reservation. */
export const MEM_DECOMMIT = 0x00004000;
/** Free type: release the reservation. */
export const MEM_RELEASE = 0x00008000;
/** State of free address space (B23). Not a valid free type (B39). */
export const MEM_FREE = 0x00010000;
/** Type of private (VirtualAlloc) memory (B29). */
export const MEM_PRIVATE = 0x00020000;
/** Type of a data view of a section (B29). */
export const MEM_MAPPED = 0x00040000;
/** Type of an image view; equals SEC_IMAGE (B29, B83). */
export const MEM_IMAGE = 0x01000000;
/** Allocation type: the data of the range is no longer of interest (B7, B8). */
export const MEM_RESET = 0x00080000;
/** Allocation type: allocate at the highest possible address. */
export const MEM_TOP_DOWN = 0x00100000;
/** Allocation type: track writes to the region (needs MEM_RESERVE, B21); read them with {@link Process.getWriteWatch} (B103). */
export const MEM_WRITE_WATCH = 0x00200000;
/** GetWriteWatch flag: reset the pages reported (B103); {@link Process.getWriteWatch} takes it as its `reset` argument. */
export const WRITE_WATCH_FLAG_RESET = 0x00000001;
/** Allocation type: AWE physical pages. Not supported: {@link Process.virtualAlloc} rejects it with ERROR_INVALID_PARAMETER. */
export const MEM_PHYSICAL = 0x00400000;
/** Allocation type: rotate (same value as MEM_DIFFERENT_IMAGE_BASE_OK). */
export const MEM_ROTATE = 0x00800000;
/** Allocation type: image may be mapped at a different base (same value as MEM_ROTATE). */
export const MEM_DIFFERENT_IMAGE_BASE_OK = 0x00800000;
/** Allocation type: undo a MEM_RESET. Not implemented: {@link Process.virtualAlloc} fails with ERROR_NOT_SUPPORTED. */
export const MEM_RESET_UNDO = 0x01000000;
/** Allocation type: large pages. Not supported: {@link Process.virtualAlloc} rejects it with ERROR_INVALID_PARAMETER. */
export const MEM_LARGE_PAGES = 0x20000000;
/** Allocation type: 4 MiB pages. Not supported: {@link Process.virtualAlloc} rejects it with ERROR_INVALID_PARAMETER. */
export const MEM_4MB_PAGES = 0x80000000;
/** VirtualAlloc2: replace a placeholder (same value as MEM_DECOMMIT). */
export const MEM_REPLACE_PLACEHOLDER = 0x00004000;
/** VirtualAlloc2: reserve a placeholder (same value as MEM_MAPPED). */
export const MEM_RESERVE_PLACEHOLDER = 0x00040000;
/** VirtualFree: coalesce adjacent placeholders. */
export const MEM_COALESCE_PLACEHOLDERS = 0x00000001;
/** VirtualFree: split a placeholder, preserving it. */
export const MEM_PRESERVE_PLACEHOLDER = 0x00000002;
/** NtMapViewOfSection allocation type: allow a 4 KiB-aligned base (32-bit only; B16, B76). */
export const AT_ROUND_TO_PAGE = 0x40000000;
/** NtMapViewOfSection allocation type: the view may not change protection or be unmapped (not modelled: refused). */
export const SEC_NO_CHANGE = 0x00400000;

// ---------------------------------------------------------------------------
// SECTION_INHERIT (NtMapViewOfSection's InheritDisposition)

/** The view is mapped in a child process too (what MapViewOfFile asks for). */
export const VIEW_SHARE = 1;
/** The view is not mapped in a child process. */
export const VIEW_UNMAP = 2;

// ---------------------------------------------------------------------------
// Handles

/**
 * The pseudo-handle of the current process (GetCurrentProcess, NtCurrentProcess): (HANDLE)-1. Handles are
 * 32-bit values (sign-extended in a 64-bit process), so mmukit takes and returns them as unsigned 32-bit
 * numbers: -1 is 0xffffffff. Not a handle-table entry.
 */
export const CURRENT_PROCESS_HANDLE = 0xffffffff;
/** CreateFileMapping's file argument for a section backed by the paging file: (HANDLE)-1, the same bits as the current process. */
export const INVALID_HANDLE_VALUE = 0xffffffff;
/** Handle attribute: a child process created with handle inheritance gets this handle (bInheritHandle, OBJ_INHERIT). */
export const HANDLE_FLAG_INHERIT = 0x1;
/** Handle attribute: CloseHandle fails (ERROR_INVALID_HANDLE; NtClose: STATUS_HANDLE_NOT_CLOSABLE) and the handle stays open. */
export const HANDLE_FLAG_PROTECT_FROM_CLOSE = 0x2;
/** DuplicateHandle option: close the source handle, even when the duplicate fails. */
export const DUPLICATE_CLOSE_SOURCE = 0x1;
/** DuplicateHandle option: the duplicate gets the source's access; the desired access is ignored. */
export const DUPLICATE_SAME_ACCESS = 0x2;
/** NtDuplicateObject option: the duplicate gets the source's attributes (inherit, protect from close). */
export const DUPLICATE_SAME_ATTRIBUTES = 0x4;
/** OBJECT_ATTRIBUTES flag: the handle is inherited by child processes (HANDLE_FLAG_INHERIT). */
export const OBJ_INHERIT = 0x2;
/** OBJECT_ATTRIBUTES flag: NtCreateSection of a name that exists opens its object (STATUS_OBJECT_NAME_EXISTS). */
export const OBJ_OPENIF = 0x80;
/** READ_CONTROL: what GENERIC_READ, GENERIC_WRITE and GENERIC_EXECUTE add to an object's specific rights. */
export const STANDARD_RIGHTS_READ = 0x00020000;
/** Standard rights every object type has: DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER. */
export const STANDARD_RIGHTS_REQUIRED = 0x000f0000;
/** Generic access, mapped through the object type's generic mapping. */
export const GENERIC_READ = 0x80000000;
/** Generic access, mapped through the object type's generic mapping. */
export const GENERIC_WRITE = 0x40000000;
/** Generic access, mapped through the object type's generic mapping. */
export const GENERIC_EXECUTE = 0x20000000;
/** Generic access, mapped through the object type's generic mapping. */
export const GENERIC_ALL = 0x10000000;
/** File right: read the file's data (what a readable section needs, B66). */
export const FILE_READ_DATA = 0x0001;
/** File right: write the file's data (what a PAGE_READWRITE section needs, B66). */
export const FILE_WRITE_DATA = 0x0002;
/** File right: execute (what an executable section needs). */
export const FILE_EXECUTE = 0x0020;
/** All file rights (GENERIC_ALL on a file). */
export const FILE_ALL_ACCESS = 0x001f01ff;
/** GENERIC_READ on a file. */
export const FILE_GENERIC_READ = 0x00120089;
/** GENERIC_WRITE on a file. */
export const FILE_GENERIC_WRITE = 0x00120116;
/** GENERIC_EXECUTE on a file. */
export const FILE_GENERIC_EXECUTE = 0x001200a0;
/**
 * The pseudo-handle of the current thread (GetCurrentThread, NtCurrentThread): (HANDLE)-2, as an unsigned
 * 32-bit number. It names the calling thread: in mmukit, the thread {@link Kernel.runThread} last ran in
 * the calling process ({@link Process.currentThread}). Not a handle-table entry.
 */
export const CURRENT_THREAD_HANDLE = 0xfffffffe;
/** SYNCHRONIZE: wait on the object. A standard right of processes and threads. */
export const SYNCHRONIZE = 0x00100000;
/** Process right: TerminateProcess. */
export const PROCESS_TERMINATE = 0x0001;
/** Process right: CreateRemoteThread in the process. */
export const PROCESS_CREATE_THREAD = 0x0002;
/** Process right: set the session id. */
export const PROCESS_SET_SESSIONID = 0x0004;
/** Process right: change the address space (VirtualAllocEx, VirtualFreeEx, VirtualProtectEx, NtMapViewOfSection, …). */
export const PROCESS_VM_OPERATION = 0x0008;
/** Process right: ReadProcessMemory. */
export const PROCESS_VM_READ = 0x0010;
/** Process right: WriteProcessMemory (with PROCESS_VM_OPERATION). */
export const PROCESS_VM_WRITE = 0x0020;
/** Process right: DuplicateHandle from or into the process. */
export const PROCESS_DUP_HANDLE = 0x0040;
/** Process right: create a process with this one as its parent. */
export const PROCESS_CREATE_PROCESS = 0x0080;
/** Process right: set quotas. */
export const PROCESS_SET_QUOTA = 0x0100;
/** Process right: set information (priority, affinity, …). */
export const PROCESS_SET_INFORMATION = 0x0200;
/** Process right: query information and the address space (VirtualQueryEx, NtQueryVirtualMemory). Grants {@link PROCESS_QUERY_LIMITED_INFORMATION} too. */
export const PROCESS_QUERY_INFORMATION = 0x0400;
/** Process right: suspend and resume. */
export const PROCESS_SUSPEND_RESUME = 0x0800;
/** Process right: the information a less trusted caller may query (GetProcessId, the image name). */
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
/** Process right: set limited information. */
export const PROCESS_SET_LIMITED_INFORMATION = 0x2000;
/** Every process right (Vista and later): STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xffff. */
export const PROCESS_ALL_ACCESS = 0x001fffff;
/** Thread right: TerminateThread. */
export const THREAD_TERMINATE = 0x0001;
/** Thread right: suspend and resume. */
export const THREAD_SUSPEND_RESUME = 0x0002;
/** Thread right: GetThreadContext. */
export const THREAD_GET_CONTEXT = 0x0008;
/** Thread right: SetThreadContext. */
export const THREAD_SET_CONTEXT = 0x0010;
/** Thread right: set information. Grants {@link THREAD_SET_LIMITED_INFORMATION} too. */
export const THREAD_SET_INFORMATION = 0x0020;
/** Thread right: query information. Grants {@link THREAD_QUERY_LIMITED_INFORMATION} too. */
export const THREAD_QUERY_INFORMATION = 0x0040;
/** Thread right: set the impersonation token. */
export const THREAD_SET_THREAD_TOKEN = 0x0080;
/** Thread right: impersonate. */
export const THREAD_IMPERSONATE = 0x0100;
/** Thread right: direct impersonation. */
export const THREAD_DIRECT_IMPERSONATION = 0x0200;
/** Thread right: set limited information. */
export const THREAD_SET_LIMITED_INFORMATION = 0x0400;
/** Thread right: the information a less trusted caller may query (GetThreadId, GetProcessIdOfThread). */
export const THREAD_QUERY_LIMITED_INFORMATION = 0x0800;
/** Thread right: resume. */
export const THREAD_RESUME = 0x1000;
/** Every thread right (Vista and later): STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xffff. */
export const THREAD_ALL_ACCESS = 0x001fffff;

// ---------------------------------------------------------------------------
// NtLockVirtualMemory / NtUnlockVirtualMemory MapType

/** Lock in the process's working set (what VirtualLock asks for). */
export const MAP_PROCESS = 1;
/** Lock in physical memory: needs SeLockMemoryPrivilege, which no mmukit process holds. */
export const MAP_SYSTEM = 2;

// ---------------------------------------------------------------------------
// Section attributes (SEC_*)
// ---------------------------------------------------------------------------

/** Section attribute: partition owner handle. */
export const SEC_PARTITION_OWNER_HANDLE = 0x00040000;
/** Section attribute: 64 KiB pages. */
export const SEC_64K_PAGES = 0x00080000;
/** Section attribute reported by NtQuerySection for file-backed sections; invalid as a CreateFileMapping input (B61). */
export const SEC_FILE = 0x00800000;
/** Section attribute: map the file as a PE image (B61, B89). Equals MEM_IMAGE. */
export const SEC_IMAGE = 0x01000000;
/** Section attribute: protected image. */
export const SEC_PROTECTED_IMAGE = 0x02000000;
/** Section attribute: reserve the whole section, commit later (B70). */
export const SEC_RESERVE = 0x04000000;
/** Section attribute: commit the whole section (the default, B61, B71). */
export const SEC_COMMIT = 0x08000000;
/** Section attribute: non-cached section (B71). */
export const SEC_NOCACHE = 0x10000000;
/** Section attribute: write-combined section. */
export const SEC_WRITECOMBINE = 0x40000000;
/** Section attribute: large pages. */
export const SEC_LARGE_PAGES = 0x80000000;
/** Section attribute: image mapped without execute (SEC_IMAGE | SEC_NOCACHE). */
export const SEC_IMAGE_NO_EXECUTE = 0x11000000;

// ---------------------------------------------------------------------------
// View access (FILE_MAP_* / SECTION_*)
// ---------------------------------------------------------------------------

/** Section right: query the section (same value as FILE_MAP_COPY). */
export const SECTION_QUERY = 0x0001;
/** Section right: map writable views (same value as FILE_MAP_WRITE). */
export const SECTION_MAP_WRITE = 0x0002;
/** Section right: map readable views (same value as FILE_MAP_READ). */
export const SECTION_MAP_READ = 0x0004;
/** Section right: map executable views. As a view access it grants no protection by itself (B67). */
export const SECTION_MAP_EXECUTE = 0x0008;
/** Section right: extend the section. */
export const SECTION_EXTEND_SIZE = 0x0010;
/** Section right: explicit execute (same value as FILE_MAP_EXECUTE). */
export const SECTION_MAP_EXECUTE_EXPLICIT = 0x0020;
/** All section rights (same value as FILE_MAP_ALL_ACCESS). */
export const SECTION_ALL_ACCESS = 0x000f001f;
/** View access: copy-on-write view (B67, B74). */
export const FILE_MAP_COPY = 0x0001;
/** View access: read/write view (B67). */
export const FILE_MAP_WRITE = 0x0002;
/** View access: read-only view (B67). */
export const FILE_MAP_READ = 0x0004;
/** View access: executable view, combined with READ, WRITE or COPY (B67). */
export const FILE_MAP_EXECUTE = 0x0020;
/** View access: all access; with MapViewOfFile it acts as FILE_MAP_WRITE (Microsoft's MapViewOfFile page). */
export const FILE_MAP_ALL_ACCESS = 0x000f001f;
/** View access: large pages (SDK). */
export const FILE_MAP_LARGE_PAGES = 0x20000000;
/** View access: mark the view's locations as invalid CFG targets (SDK). */
export const FILE_MAP_TARGETS_INVALID = 0x40000000;
/** View access: map into a placeholder reservation (SDK). */
export const FILE_MAP_RESERVE = 0x80000000;

// ---------------------------------------------------------------------------
// Exception record facts
// ---------------------------------------------------------------------------

/** ExceptionInformation[0] of an access violation or guard-page record: a read (B56). */
export const EXCEPTION_READ_FAULT = 0;
/** ExceptionInformation[0] of an access violation or guard-page record: a write (B56). */
export const EXCEPTION_WRITE_FAULT = 1;
/** ExceptionInformation[0] of an access violation or guard-page record: an instruction fetch (B54). */
export const EXCEPTION_EXECUTE_FAULT = 8;

// ---------------------------------------------------------------------------
// Win32 error codes (GetLastError)
// ---------------------------------------------------------------------------

/** The call succeeded. */
export const ERROR_SUCCESS = 0;
/** Incorrect function (RtlNtStatusToDosError of STATUS_ILLEGAL_INSTRUCTION). */
export const ERROR_INVALID_FUNCTION = 1;
/** A named object does not exist, for example OpenFileMapping after the last handle closed (B72). */
export const ERROR_FILE_NOT_FOUND = 2;
/** The path does not exist. */
export const ERROR_PATH_NOT_FOUND = 3;
/** Incompatible view access; MEM_COMMIT on a file or image view (B64, B69). */
export const ERROR_ACCESS_DENIED = 5;
/** An invalid or NULL handle (B22). */
export const ERROR_INVALID_HANDLE = 6;
/** Not enough memory (STATUS_NO_MEMORY, STATUS_SECTION_TOO_BIG). */
export const ERROR_NOT_ENOUGH_MEMORY = 8;
/** Out of memory. */
export const ERROR_OUTOFMEMORY = 14;
/** Not the same device (STATUS_NOT_SAME_DEVICE). */
export const ERROR_NOT_SAME_DEVICE = 17;
/** Bad length (STATUS_INFO_LENGTH_MISMATCH). */
export const ERROR_BAD_LENGTH = 24;
/** Sharing violation. */
export const ERROR_SHARING_VIOLATION = 32;
/** Request not supported (STATUS_NOT_SUPPORTED). */
export const ERROR_NOT_SUPPORTED = 50;
/** Unexpected network error; RtlNtStatusToDosError of STATUS_INVALID_ADDRESS. */
export const ERROR_UNEXP_NET_ERR = 59;
/** A bad size, flag or protection argument (B1, B10–B13, B33, B41, B60, B61). */
export const ERROR_INVALID_PARAMETER = 87;
/** The call is not implemented. */
export const ERROR_CALL_NOT_IMPLEMENTED = 120;
/** An object name that is not valid (STATUS_OBJECT_NAME_INVALID). */
export const ERROR_INVALID_NAME = 123;
/** VirtualUnlock of a page that is not locked (STATUS_NOT_LOCKED; Microsoft's VirtualUnlock page). */
export const ERROR_NOT_LOCKED = 158;
/** A named mapping already exists; CreateFileMapping still succeeds (B63). */
export const ERROR_ALREADY_EXISTS = 183;
/** Not a valid image; SEC_IMAGE on a non-PE file or an anonymous section (B61, B89). */
export const ERROR_BAD_EXE_FORMAT = 193;
/** Read/WriteProcessMemory crossed an inaccessible page (B100, B102). */
export const ERROR_PARTIAL_COPY = 299;
/** RtlNtStatusToDosError's answer for an NTSTATUS it has no mapping for. */
export const ERROR_MR_MID_NOT_FOUND = 317;
/** Informational: the image was not mapped at its preferred base (STATUS_IMAGE_NOT_AT_BASE, B91). */
export const ERROR_IMAGE_NOT_AT_BASE = 700;
/** Protect or commit of something not reserved or committed; unmap of a non-view; a busy base for a non-relocatable DLL (B3, B5, B17, B19, B47, B93). */
export const ERROR_INVALID_ADDRESS = 487;
/** A NULL or bad user buffer, for example a NULL lpflOldProtect (B32). */
export const ERROR_NOACCESS = 998;
/** An in-page I/O error (STATUS_IN_PAGE_ERROR). */
export const ERROR_SWAPERROR = 999;
/** Stack overflow (STATUS_STACK_OVERFLOW). */
export const ERROR_STACK_OVERFLOW = 1001;
/** The file is invalid (STATUS_MAPPED_FILE_SIZE_ZERO). */
export const ERROR_FILE_INVALID = 1006;
/** A DLL initialisation routine failed. */
export const ERROR_DLL_INIT_FAILED = 1114;
/** A view base or offset is not aligned (STATUS_MAPPED_ALIGNMENT, B76). */
export const ERROR_MAPPED_ALIGNMENT = 1132;
/** Insufficient system resources (STATUS_INSUFFICIENT_RESOURCES). */
export const ERROR_NO_SYSTEM_RESOURCES = 1450;
/** The paging file is too small (STATUS_COMMITMENT_LIMIT). */
export const ERROR_COMMITMENT_LIMIT = 1455;
/** Informational: one of the pages to lock was already locked (STATUS_WAS_LOCKED). */
export const ERROR_WAS_LOCKED = 717;
/** A required privilege is not held (STATUS_PRIVILEGE_NOT_HELD: NtLockVirtualMemory with MAP_SYSTEM). */
export const ERROR_PRIVILEGE_NOT_HELD = 1314;

// ---------------------------------------------------------------------------
// NTSTATUS codes
// ---------------------------------------------------------------------------

/** Success. */
export const STATUS_SUCCESS = 0x00000000;
/** Informational: the working-set limits given are out of range (SetProcessWorkingSetSize); not raised by the kernel. */
export const STATUS_WORKING_SET_LIMIT_RANGE = 0x40000002;
/** Informational (a success code): the image was mapped away from its preferred base (B91, B92). */
export const STATUS_IMAGE_NOT_AT_BASE = 0x40000003;
/** Warning: a guard page was touched (B50–B55). Its Win32 error is 0x80000001 itself (B52). */
export const STATUS_GUARD_PAGE_VIOLATION = 0x80000001;
/** Warning: misaligned data. */
export const STATUS_DATATYPE_MISALIGNMENT = 0x80000002;
/** Warning: only part of a cross-process copy was done (B100–B102). */
export const STATUS_PARTIAL_COPY = 0x8000000d;
/** Invalid information class. */
export const STATUS_INVALID_INFO_CLASS = 0xc0000003;
/** The output buffer has the wrong length (B31). */
export const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
/** Access violation: the exception for an unresolvable fault (B54, B56), and the NT result for a bad output pointer (B32). */
export const STATUS_ACCESS_VIOLATION = 0xc0000005;
/** The data of a valid page could not be supplied (B57). */
export const STATUS_IN_PAGE_ERROR = 0xc0000006;
/** Invalid handle (B22, B45, B76). */
export const STATUS_INVALID_HANDLE = 0xc0000008;
/** A parameter of the call is invalid (the generic code; the numbered ones name which). Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER = 0xc000000d;
/** No memory (address space exhausted, B20). */
export const STATUS_NO_MEMORY = 0xc0000017;
/** The requested range is already in use (B17, B76, B93). */
export const STATUS_CONFLICTING_ADDRESSES = 0xc0000018;
/** The address is not a mapped view (B19, Wine). */
export const STATUS_NOT_MAPPED_VIEW = 0xc0000019;
/** A free range runs past its allocation or spans allocations (B45). */
export const STATUS_UNABLE_TO_FREE_VM = 0xc000001a;
/** The section cannot be deleted. */
export const STATUS_UNABLE_TO_DELETE_SECTION = 0xc000001b;
/** Illegal instruction. */
export const STATUS_ILLEGAL_INSTRUCTION = 0xc000001d;
/** A view size larger than the section (B62). */
export const STATUS_INVALID_VIEW_SIZE = 0xc000001f;
/** The file cannot back this section, for example a zero-length file for SEC_IMAGE (B62). */
export const STATUS_INVALID_FILE_FOR_SECTION = 0xc0000020;
/** MEM_COMMIT on a file-backed or image view (B69). */
export const STATUS_ALREADY_COMMITTED = 0xc0000021;
/** Access denied (B65). */
export const STATUS_ACCESS_DENIED = 0xc0000022;
/** Unable to decommit. */
export const STATUS_UNABLE_TO_DECOMMIT_VM = 0xc000002c;
/** VirtualUnlock of a page that is not locked (Microsoft's VirtualUnlock page; WRK lockvm.c). */
export const STATUS_NOT_LOCKED = 0xc000002a;
/** Protect of pages that are not committed (B3, B5). */
export const STATUS_NOT_COMMITTED = 0xc000002d;
/** A section larger than its read-only file, or an image section larger than its image (B62, B90). */
export const STATUS_SECTION_TOO_BIG = 0xc0000040;
/** An invalid page protection (B12). */
export const STATUS_INVALID_PAGE_PROTECTION = 0xc0000045;
/** SectionImageInformation on a non-image section (B62). */
export const STATUS_SECTION_NOT_IMAGE = 0xc0000049;
/** The section's protection does not allow the request. */
export const STATUS_SECTION_PROTECTION = 0xc000004e;
/** Bad Optional-header Magic or Machine (B89). */
export const STATUS_INVALID_IMAGE_FORMAT = 0xc000007b;
/** Insufficient resources. */
export const STATUS_INSUFFICIENT_RESOURCES = 0xc000009a;
/** A size-0 free whose address is not the allocation base (B42). */
export const STATUS_FREE_VM_NOT_AT_BASE = 0xc000009f;
/** Free of memory that is not allocated (B45). */
export const STATUS_MEMORY_NOT_ALLOCATED = 0xc00000a0;
/** Not supported. */
export const STATUS_NOT_SUPPORTED = 0xc00000bb;
/** Not the same device. */
export const STATUS_NOT_SAME_DEVICE = 0xc00000d4;
/** Parameter 1 of the NT call is invalid. Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_1 = 0xc00000ef;
/** Parameter 2 of the NT call is invalid. Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_2 = 0xc00000f0;
/** Parameter 3 of the NT call is invalid (zero_bits 22..31, B20). Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_3 = 0xc00000f1;
/** Parameter 4 of the NT call is invalid. Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_4 = 0xc00000f2;
/** Parameter 5 of the NT call is invalid (AT_ROUND_TO_PAGE in NtAllocateVirtualMemory, B16). Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_5 = 0xc00000f3;
/** Parameter 6 of the NT call is invalid (NtCreateSection AllocationAttributes). Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_6 = 0xc00000f4;
/** Parameter 7 of the NT call is invalid. Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_7 = 0xc00000f5;
/** Parameter 8 of the NT call is invalid. Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_8 = 0xc00000f6;
/** Parameter 9 of the NT call is invalid (AT_ROUND_TO_PAGE on 64-bit NtMapViewOfSection, B76). Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_9 = 0xc00000f7;
/** Parameter 10 of the NT call is invalid. Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_10 = 0xc00000f8;
/** Parameter 11 of the NT call is invalid. Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_11 = 0xc00000f9;
/** Parameter 12 of the NT call is invalid. Win32: ERROR_INVALID_PARAMETER. */
export const STATUS_INVALID_PARAMETER_12 = 0xc00000fa;
/** Stack overflow. */
export const STATUS_STACK_OVERFLOW = 0xc00000fd;
/** An NE-format image (B89). */
export const STATUS_INVALID_IMAGE_NE_FORMAT = 0xc000011b;
/** A zero-length file for a SEC_COMMIT section (B62). */
export const STATUS_MAPPED_FILE_SIZE_ZERO = 0xc000011e;
/** The commit limit is reached. */
export const STATUS_COMMITMENT_LIMIT = 0xc000012d;
/** The file does not start with "MZ" (B89). */
export const STATUS_INVALID_IMAGE_NOT_MZ = 0xc000012f;
/** A bad e_lfanew or NT signature (B89). */
export const STATUS_INVALID_IMAGE_PROTECT = 0xc0000130;
/** A 16-bit Windows image (B89). */
export const STATUS_INVALID_IMAGE_WIN_16 = 0xc0000131;
/** A freed or out-of-allocation address in NtQueryVirtualMemory (B30, B31). */
export const STATUS_INVALID_ADDRESS = 0xc0000141;
/** A DLL initialisation routine failed. */
export const STATUS_DLL_INIT_FAILED = 0xc0000142;
/** A view base or section offset is not 64 KiB aligned (B76). */
export const STATUS_MAPPED_ALIGNMENT = 0xc0000220;
/** A PE32 image where it cannot run. */
export const STATUS_INVALID_IMAGE_WIN_32 = 0xc0000359;
/** A PE32+ image on a 32-bit system (B89). */
export const STATUS_INVALID_IMAGE_WIN_64 = 0xc000035a;
/** Informational (a success code): NtLockVirtualMemory found a page of the range already locked. */
export const STATUS_WAS_LOCKED = 0x40000019;
/** A required privilege is not held: NtLockVirtualMemory / NtUnlockVirtualMemory with MAP_SYSTEM (SeLockMemoryPrivilege). */
export const STATUS_PRIVILEGE_NOT_HELD = 0xc0000061;
/** NtFlushVirtualMemory of a view with no data file to write: an anonymous (pagefile) or image view. FlushViewOfFile treats it as success. */
export const STATUS_NOT_MAPPED_DATA = 0xc0000088;
/** Informational (a success code): NtCreateSection with OBJ_OPENIF found the name and opened the existing object (CreateFileMapping: ERROR_ALREADY_EXISTS). */
export const STATUS_OBJECT_NAME_EXISTS = 0x40000000;
/** A handle or name refers to an object of another type (a file handle given as a section). */
export const STATUS_OBJECT_TYPE_MISMATCH = 0xc0000024;
/** An object name that is not valid (empty, or longer than 32766 characters). */
export const STATUS_OBJECT_NAME_INVALID = 0xc0000033;
/** No object has that name: OpenFileMapping after the last handle closed (B72). */
export const STATUS_OBJECT_NAME_NOT_FOUND = 0xc0000034;
/** NtCreateSection without OBJ_OPENIF of a name that exists. */
export const STATUS_OBJECT_NAME_COLLISION = 0xc0000035;
/** NtClose of a handle protected from close (HANDLE_FLAG_PROTECT_FROM_CLOSE). */
export const STATUS_HANDLE_NOT_CLOSABLE = 0xc0000235;
/** A path through an object directory that does not exist (a backslash inside an object name). */
export const STATUS_OBJECT_PATH_NOT_FOUND = 0xc000003a;
/** LoadLibrary of a DLL that cannot be found, or a module handle that is not a loaded module (Win32: ERROR_MOD_NOT_FOUND). */
export const STATUS_DLL_NOT_FOUND = 0xc0000135;
/** A static import by ordinal that the exporter lacks (Win32: ERROR_INVALID_ORDINAL). */
export const STATUS_ORDINAL_NOT_FOUND = 0xc0000138;
/** A static import by name that the exporter lacks (Win32: ERROR_PROC_NOT_FOUND). */
export const STATUS_ENTRYPOINT_NOT_FOUND = 0xc0000139;
/** GetProcAddress (LdrGetProcedureAddress) of a name or ordinal the module does not export (Win32: ERROR_PROC_NOT_FOUND). */
export const STATUS_PROCEDURE_NOT_FOUND = 0xc000007a;
/** OpenProcess / OpenThread of an id no process or thread has (Win32: ERROR_INVALID_PARAMETER). */
export const STATUS_INVALID_CID = 0xc000000b;
/** A call on a process that has exited, through a handle that still refers to it (Win32: ERROR_ACCESS_DENIED). */
export const STATUS_PROCESS_IS_TERMINATING = 0xc000010a;
/** The specified module could not be found (STATUS_DLL_NOT_FOUND). */
export const ERROR_MOD_NOT_FOUND = 126;
/** The specified procedure could not be found (STATUS_ENTRYPOINT_NOT_FOUND, STATUS_PROCEDURE_NOT_FOUND). */
export const ERROR_PROC_NOT_FOUND = 127;
/** The operating system cannot run this ordinal (STATUS_ORDINAL_NOT_FOUND). */
export const ERROR_INVALID_ORDINAL = 182;
/** LoadLibraryEx: map the DLL without loading its imports or calling its entry point. */
export const DONT_RESOLVE_DLL_REFERENCES = 0x1;
/** LoadLibraryEx: map the file as data (not modelled by mmukit's loader). */
export const LOAD_LIBRARY_AS_DATAFILE = 0x2;
/** LoadLibraryEx: search the DLL's own directory for its dependencies (no file system in mmukit: accepted, no effect). */
export const LOAD_WITH_ALTERED_SEARCH_PATH = 0x8;
/** LoadLibraryEx: map the file as an image for its resources (not modelled by mmukit's loader). */
export const LOAD_LIBRARY_AS_IMAGE_RESOURCE = 0x20;
/** LoadLibraryEx: map the file as data, opened for exclusive write (not modelled by mmukit's loader). */
export const LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE = 0x40;
/** DllMain / TLS callback reason: the module is unloading. */
export const DLL_PROCESS_DETACH = 0;
/** DllMain / TLS callback reason: the module was loaded. */
export const DLL_PROCESS_ATTACH = 1;
/** DllMain / TLS callback reason: a thread started. */
export const DLL_THREAD_ATTACH = 2;
/** DllMain / TLS callback reason: a thread is exiting. */
export const DLL_THREAD_DETACH = 3;

// ---------------------------------------------------------------------------
// Name tables and the NTSTATUS → Win32 mapping
// ---------------------------------------------------------------------------

const STATUS_BY_NAME = {
  STATUS_SUCCESS,
  STATUS_WORKING_SET_LIMIT_RANGE,
  STATUS_IMAGE_NOT_AT_BASE,
  STATUS_GUARD_PAGE_VIOLATION,
  STATUS_DATATYPE_MISALIGNMENT,
  STATUS_PARTIAL_COPY,
  STATUS_INVALID_INFO_CLASS,
  STATUS_INFO_LENGTH_MISMATCH,
  STATUS_ACCESS_VIOLATION,
  STATUS_IN_PAGE_ERROR,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_NO_MEMORY,
  STATUS_CONFLICTING_ADDRESSES,
  STATUS_NOT_MAPPED_VIEW,
  STATUS_UNABLE_TO_FREE_VM,
  STATUS_UNABLE_TO_DELETE_SECTION,
  STATUS_ILLEGAL_INSTRUCTION,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_INVALID_FILE_FOR_SECTION,
  STATUS_ALREADY_COMMITTED,
  STATUS_ACCESS_DENIED,
  STATUS_UNABLE_TO_DECOMMIT_VM,
  STATUS_NOT_LOCKED,
  STATUS_NOT_COMMITTED,
  STATUS_SECTION_TOO_BIG,
  STATUS_INVALID_PAGE_PROTECTION,
  STATUS_SECTION_NOT_IMAGE,
  STATUS_SECTION_PROTECTION,
  STATUS_INVALID_IMAGE_FORMAT,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_FREE_VM_NOT_AT_BASE,
  STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NOT_SUPPORTED,
  STATUS_NOT_SAME_DEVICE,
  STATUS_INVALID_PARAMETER_1,
  STATUS_INVALID_PARAMETER_2,
  STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4,
  STATUS_INVALID_PARAMETER_5,
  STATUS_INVALID_PARAMETER_6,
  STATUS_INVALID_PARAMETER_7,
  STATUS_INVALID_PARAMETER_8,
  STATUS_INVALID_PARAMETER_9,
  STATUS_INVALID_PARAMETER_10,
  STATUS_INVALID_PARAMETER_11,
  STATUS_INVALID_PARAMETER_12,
  STATUS_STACK_OVERFLOW,
  STATUS_INVALID_IMAGE_NE_FORMAT,
  STATUS_MAPPED_FILE_SIZE_ZERO,
  STATUS_COMMITMENT_LIMIT,
  STATUS_INVALID_IMAGE_NOT_MZ,
  STATUS_INVALID_IMAGE_PROTECT,
  STATUS_INVALID_IMAGE_WIN_16,
  STATUS_INVALID_ADDRESS,
  STATUS_DLL_INIT_FAILED,
  STATUS_MAPPED_ALIGNMENT,
  STATUS_INVALID_IMAGE_WIN_32,
  STATUS_INVALID_IMAGE_WIN_64,
  STATUS_WAS_LOCKED,
  STATUS_PRIVILEGE_NOT_HELD,
  STATUS_NOT_MAPPED_DATA,
  STATUS_OBJECT_NAME_EXISTS,
  STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_HANDLE_NOT_CLOSABLE,
  STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_DLL_NOT_FOUND,
  STATUS_ORDINAL_NOT_FOUND,
  STATUS_ENTRYPOINT_NOT_FOUND,
  STATUS_PROCEDURE_NOT_FOUND,
  STATUS_INVALID_CID,
  STATUS_PROCESS_IS_TERMINATING,
} as const satisfies Record<NtStatusName, number>; // the same names as NT_STATUS_NAMES: no more, no fewer

const ERROR_BY_NAME = {
  ERROR_SUCCESS,
  ERROR_INVALID_FUNCTION,
  ERROR_FILE_NOT_FOUND,
  ERROR_PATH_NOT_FOUND,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_HANDLE,
  ERROR_NOT_ENOUGH_MEMORY,
  ERROR_OUTOFMEMORY,
  ERROR_NOT_SAME_DEVICE,
  ERROR_BAD_LENGTH,
  ERROR_SHARING_VIOLATION,
  ERROR_NOT_SUPPORTED,
  ERROR_UNEXP_NET_ERR,
  ERROR_INVALID_PARAMETER,
  ERROR_CALL_NOT_IMPLEMENTED,
  ERROR_NOT_LOCKED,
  ERROR_ALREADY_EXISTS,
  ERROR_BAD_EXE_FORMAT,
  ERROR_PARTIAL_COPY,
  ERROR_MR_MID_NOT_FOUND,
  ERROR_INVALID_ADDRESS,
  ERROR_IMAGE_NOT_AT_BASE,
  ERROR_NOACCESS,
  ERROR_SWAPERROR,
  ERROR_STACK_OVERFLOW,
  ERROR_FILE_INVALID,
  ERROR_DLL_INIT_FAILED,
  ERROR_MAPPED_ALIGNMENT,
  ERROR_NO_SYSTEM_RESOURCES,
  ERROR_COMMITMENT_LIMIT,
  ERROR_WAS_LOCKED,
  ERROR_PRIVILEGE_NOT_HELD,
  ERROR_INVALID_NAME,
  ERROR_MOD_NOT_FOUND,
  ERROR_PROC_NOT_FOUND,
  ERROR_INVALID_ORDINAL,
} as const;

function invert(table: Readonly<Record<string, number>>): Map<number, string> {
  const map = new Map<number, string>();
  for (const [name, value] of Object.entries(table)) map.set(value, name);
  return map;
}

const STATUS_NAMES = invert(STATUS_BY_NAME);
const ERROR_NAMES = invert(ERROR_BY_NAME);

/**
 * RtlNtStatusToDosError's table for every status listed here (values as in the
 * ntdll conversion tables; the pairs pinned by tests are B3, B12, B17, B32, B69).
 */
const STATUS_TO_WIN32 = new Map<number, number>([
  [STATUS_SUCCESS, ERROR_SUCCESS],
  [STATUS_WORKING_SET_LIMIT_RANGE, ERROR_INVALID_PARAMETER],
  [STATUS_IMAGE_NOT_AT_BASE, ERROR_IMAGE_NOT_AT_BASE],
  // No Win32 equivalent: GetLastError returns the status itself (B52, Microsoft's guard-page sample).
  [STATUS_GUARD_PAGE_VIOLATION, STATUS_GUARD_PAGE_VIOLATION],
  [STATUS_DATATYPE_MISALIGNMENT, ERROR_NOACCESS],
  [STATUS_PARTIAL_COPY, ERROR_PARTIAL_COPY],
  [STATUS_INVALID_INFO_CLASS, ERROR_INVALID_PARAMETER],
  [STATUS_INFO_LENGTH_MISMATCH, ERROR_BAD_LENGTH],
  [STATUS_ACCESS_VIOLATION, ERROR_NOACCESS], // B32
  [STATUS_IN_PAGE_ERROR, ERROR_SWAPERROR],
  [STATUS_INVALID_HANDLE, ERROR_INVALID_HANDLE],
  [STATUS_INVALID_PARAMETER, ERROR_INVALID_PARAMETER],
  [STATUS_NO_MEMORY, ERROR_NOT_ENOUGH_MEMORY],
  [STATUS_CONFLICTING_ADDRESSES, ERROR_INVALID_ADDRESS], // B17, B93
  [STATUS_NOT_MAPPED_VIEW, ERROR_INVALID_ADDRESS],
  [STATUS_UNABLE_TO_FREE_VM, ERROR_INVALID_PARAMETER],
  [STATUS_UNABLE_TO_DELETE_SECTION, ERROR_INVALID_PARAMETER],
  [STATUS_ILLEGAL_INSTRUCTION, ERROR_INVALID_FUNCTION],
  [STATUS_INVALID_VIEW_SIZE, ERROR_ACCESS_DENIED],
  [STATUS_INVALID_FILE_FOR_SECTION, ERROR_BAD_EXE_FORMAT],
  [STATUS_ALREADY_COMMITTED, ERROR_ACCESS_DENIED], // B69
  [STATUS_ACCESS_DENIED, ERROR_ACCESS_DENIED],
  [STATUS_UNABLE_TO_DECOMMIT_VM, ERROR_INVALID_ADDRESS],
  [STATUS_NOT_LOCKED, ERROR_NOT_LOCKED],
  [STATUS_NOT_COMMITTED, ERROR_INVALID_ADDRESS], // B3
  [STATUS_SECTION_TOO_BIG, ERROR_NOT_ENOUGH_MEMORY],
  [STATUS_INVALID_PAGE_PROTECTION, ERROR_INVALID_PARAMETER], // B12
  [STATUS_SECTION_NOT_IMAGE, ERROR_INVALID_PARAMETER],
  [STATUS_SECTION_PROTECTION, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_IMAGE_FORMAT, ERROR_BAD_EXE_FORMAT],
  [STATUS_INSUFFICIENT_RESOURCES, ERROR_NO_SYSTEM_RESOURCES],
  [STATUS_FREE_VM_NOT_AT_BASE, ERROR_INVALID_ADDRESS],
  [STATUS_MEMORY_NOT_ALLOCATED, ERROR_INVALID_ADDRESS],
  [STATUS_NOT_SUPPORTED, ERROR_NOT_SUPPORTED],
  [STATUS_NOT_SAME_DEVICE, ERROR_NOT_SAME_DEVICE],
  [STATUS_INVALID_PARAMETER_1, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_2, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_3, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_4, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_5, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_6, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_7, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_8, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_9, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_10, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_11, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_12, ERROR_INVALID_PARAMETER],
  [STATUS_STACK_OVERFLOW, ERROR_STACK_OVERFLOW],
  [STATUS_INVALID_IMAGE_NE_FORMAT, ERROR_BAD_EXE_FORMAT],
  [STATUS_MAPPED_FILE_SIZE_ZERO, ERROR_FILE_INVALID],
  [STATUS_COMMITMENT_LIMIT, ERROR_COMMITMENT_LIMIT],
  [STATUS_INVALID_IMAGE_NOT_MZ, ERROR_BAD_EXE_FORMAT],
  [STATUS_INVALID_IMAGE_PROTECT, ERROR_BAD_EXE_FORMAT],
  [STATUS_INVALID_IMAGE_WIN_16, ERROR_BAD_EXE_FORMAT],
  // A network-era status: ntdll maps it to ERROR_UNEXP_NET_ERR, not ERROR_INVALID_ADDRESS.
  [STATUS_INVALID_ADDRESS, ERROR_UNEXP_NET_ERR],
  [STATUS_DLL_INIT_FAILED, ERROR_DLL_INIT_FAILED],
  [STATUS_MAPPED_ALIGNMENT, ERROR_MAPPED_ALIGNMENT],
  [STATUS_INVALID_IMAGE_WIN_32, ERROR_BAD_EXE_FORMAT],
  [STATUS_INVALID_IMAGE_WIN_64, ERROR_BAD_EXE_FORMAT],
  [STATUS_WAS_LOCKED, ERROR_WAS_LOCKED],
  [STATUS_PRIVILEGE_NOT_HELD, ERROR_PRIVILEGE_NOT_HELD],
  [STATUS_NOT_MAPPED_DATA, ERROR_INVALID_ADDRESS],
  [STATUS_OBJECT_NAME_EXISTS, ERROR_ALREADY_EXISTS],
  [STATUS_OBJECT_TYPE_MISMATCH, ERROR_INVALID_HANDLE],
  [STATUS_OBJECT_NAME_INVALID, ERROR_INVALID_NAME],
  [STATUS_OBJECT_NAME_NOT_FOUND, ERROR_FILE_NOT_FOUND],
  [STATUS_OBJECT_NAME_COLLISION, ERROR_ALREADY_EXISTS],
  [STATUS_HANDLE_NOT_CLOSABLE, ERROR_INVALID_HANDLE],
  [STATUS_OBJECT_PATH_NOT_FOUND, ERROR_PATH_NOT_FOUND],
  [STATUS_DLL_NOT_FOUND, ERROR_MOD_NOT_FOUND],
  [STATUS_ORDINAL_NOT_FOUND, ERROR_INVALID_ORDINAL],
  [STATUS_ENTRYPOINT_NOT_FOUND, ERROR_PROC_NOT_FOUND],
  [STATUS_PROCEDURE_NOT_FOUND, ERROR_PROC_NOT_FOUND],
  [STATUS_INVALID_CID, ERROR_INVALID_PARAMETER],
  [STATUS_PROCESS_IS_TERMINATING, ERROR_ACCESS_DENIED],
]);

/**
 * Converts an NTSTATUS to the Win32 error code `GetLastError()` reports after
 * the kernel32 wrapper of the NT call fails, as `RtlNtStatusToDosError` does.
 *
 * Covers every status listed here, including the pairs the tests pin
 * (NOT_COMMITTED → ERROR_INVALID_ADDRESS B3, ACCESS_VIOLATION → ERROR_NOACCESS
 * B32, INVALID_PAGE_PROTECTION → ERROR_INVALID_PARAMETER B12, ALREADY_COMMITTED
 * → ERROR_ACCESS_DENIED B69, CONFLICTING_ADDRESSES → ERROR_INVALID_ADDRESS B17)
 * and STATUS_GUARD_PAGE_VIOLATION, which maps to itself (B52).
 *
 * Like ntdll: STATUS_SUCCESS and customer codes (bit 29 set) come back
 * unchanged, a `0xD…` status is treated as `0xC…`, `0xC001xxxx` and
 * `0x8007xxxx` yield their low word, and any other status without a mapping
 * yields {@link ERROR_MR_MID_NOT_FOUND} (317).
 *
 * @param status - the NTSTATUS, signed or unsigned.
 * @returns the Win32 error code.
 *
 * @example
 * ```ts
 * ntStatusToWin32(STATUS_NOT_COMMITTED);          // 487: ERROR_INVALID_ADDRESS
 * ntStatusToWin32(STATUS_ACCESS_VIOLATION);       // 998: ERROR_NOACCESS
 * ntStatusToWin32(-1073741819);                   // 998: the same status as a signed int32
 * ntStatusToWin32(STATUS_GUARD_PAGE_VIOLATION);   // 0x80000001: no Win32 equivalent, the status itself
 * ntStatusToWin32(0xc0001234);                    // 317: ERROR_MR_MID_NOT_FOUND, no mapping
 * ```
 */
export function ntStatusToWin32(status: number): number {
  let s = status >>> 0;
  if (s === 0 || (s & 0x20000000) !== 0) return s;
  if ((s & 0xf0000000) >>> 0 === 0xd0000000) s = (s & ~0x10000000) >>> 0;
  const mapped = STATUS_TO_WIN32.get(s);
  if (mapped !== undefined) return mapped;
  const high = s >>> 16;
  if (high === 0xc001 || high === 0x8007) return s & 0xffff;
  return ERROR_MR_MID_NOT_FOUND;
}

/**
 * True for a success or informational NTSTATUS (the `NT_SUCCESS` macro):
 * severity bits 00 or 01, so STATUS_IMAGE_NOT_AT_BASE (B91) is a success.
 *
 * @param status - the NTSTATUS, signed or unsigned.
 * @returns whether the status reports success.
 *
 * @example
 * ```ts
 * isNtSuccess(STATUS_IMAGE_NOT_AT_BASE);    // true: informational
 * isNtSuccess(STATUS_GUARD_PAGE_VIOLATION); // false: a warning
 * ```
 */
export function isNtSuccess(status: number): boolean {
  return status >>> 0 < 0x80000000;
}

function hex8(value: number): string {
  return '0x' + (value >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * The symbolic name of an NTSTATUS, for error codes and messages, for example
 * `'STATUS_ACCESS_VIOLATION'`. A status not listed here gives
 * `'NTSTATUS_0xC0001234'`.
 *
 * @param status - the NTSTATUS, signed or unsigned.
 * @returns the name.
 *
 * @example
 * ```ts
 * statusName(0xc0000005);  // 'STATUS_ACCESS_VIOLATION'
 * statusName(-1073741819); // 'STATUS_ACCESS_VIOLATION'
 * statusName(0xc0001234);  // 'NTSTATUS_0xC0001234'
 * ```
 */
export function statusName(status: number): NtStatusName | `NTSTATUS_0x${string}` {
  return (STATUS_NAMES.get(status >>> 0) as NtStatusName | undefined) ?? `NTSTATUS_0x${hex8(status).slice(2)}`;
}

/**
 * The symbolic name of a Win32 error code, for messages, for example
 * `'ERROR_INVALID_PARAMETER'`. 0x80000001 (what GetLastError reports after a
 * service touched a guard page, B52) gives `'STATUS_GUARD_PAGE_VIOLATION'`; an
 * unknown code gives `'ERROR_1234'`.
 *
 * @param code - the Win32 error code.
 * @returns the name.
 *
 * @example
 * ```ts
 * win32ErrorName(87);                          // 'ERROR_INVALID_PARAMETER'
 * win32ErrorName(ntStatusToWin32(STATUS_NO_MEMORY)); // 'ERROR_NOT_ENOUGH_MEMORY'
 * win32ErrorName(12345);                       // 'ERROR_12345'
 * ```
 */
export function win32ErrorName(code: number): string {
  const c = code >>> 0;
  return ERROR_NAMES.get(c) ?? (c >= 0x80000000 ? STATUS_NAMES.get(c) : undefined) ?? `ERROR_${c}`;
}
