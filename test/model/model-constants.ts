/**
 * The Windows numbers the reference model uses, copied from
 * windows-semantics.md §1 rather than imported from src/os, so that the model
 * shares no code with the kernel it checks.
 */

export const PAGE = 0x1000;
export const GRANULARITY = 0x10000;
/** Lowest address an allocation may use (§1.1). */
export const LOWEST_USER_ADDRESS = 0x10000;

export const PAGE_NOACCESS = 0x01;
export const PAGE_READONLY = 0x02;
export const PAGE_READWRITE = 0x04;
export const PAGE_WRITECOPY = 0x08;
export const PAGE_EXECUTE = 0x10;
export const PAGE_EXECUTE_READ = 0x20;
export const PAGE_EXECUTE_READWRITE = 0x40;
export const PAGE_EXECUTE_WRITECOPY = 0x80;
export const PAGE_GUARD = 0x100;

export const MEM_COMMIT = 0x1000;
export const MEM_RESERVE = 0x2000;
export const MEM_DECOMMIT = 0x4000;
export const MEM_RELEASE = 0x8000;
export const MEM_FREE = 0x10000;
export const MEM_RESET = 0x80000;
export const MEM_PRIVATE = 0x20000;
export const MEM_MAPPED = 0x40000;
export const MEM_TOP_DOWN = 0x100000;
export const MEM_WRITE_WATCH = 0x200000;
export const MEM_PHYSICAL = 0x400000;
/** NtMapViewOfSection accepts it and maps with small pages (docs/kernel.md, "NtMapViewOfSection"). */
export const MEM_LARGE_PAGES = 0x20000000;
/** GetWriteWatch's flag (B103). */
export const WRITE_WATCH_FLAG_RESET = 0x01;
export const MEM_IMAGE = 0x1000000;
/** NtMapViewOfSection only; an unknown allocation-type bit to NtAllocateVirtualMemory (B16). */
export const AT_ROUND_TO_PAGE = 0x40000000;
/** NtAllocateVirtualMemory's valid AllocationType bits (B16). */
export const NT_ALLOCATION_TYPES = MEM_COMMIT | MEM_RESERVE | MEM_TOP_DOWN | MEM_WRITE_WATCH | MEM_RESET;

export const SEC_RESERVE = 0x4000000;
export const SEC_COMMIT = 0x8000000;

/** NtMapViewOfSection's InheritDisposition (SDK ViewShare, ViewUnmap; docs/kernel.md, "NtMapViewOfSection"). */
export const VIEW_SHARE = 1;
export const VIEW_UNMAP = 2;
/** NtLockVirtualMemory's MapType (SDK; docs/kernel.md, "Locking pages"). */
export const MAP_PROCESS = 1;
export const MAP_SYSTEM = 2;

/**
 * Handles and named sections (docs/kernel.md, "Handles and named sections"; the numbers are the SDK's,
 * winnt.h and ntstatus.h: the semantics document has none of them).
 */
export const INVALID_HANDLE_VALUE = 0xffffffff;
/** GetCurrentProcess()'s pseudo-handle: the same value; CloseHandle of it does nothing (docs/kernel.md). */
export const CURRENT_PROCESS_HANDLE = 0xffffffff;
/** GetCurrentThread()'s pseudo-handle (winbase.h: (HANDLE)-2). */
export const CURRENT_THREAD_HANDLE = 0xfffffffe;
export const HANDLE_FLAG_INHERIT = 0x1;
export const HANDLE_FLAG_PROTECT_FROM_CLOSE = 0x2;
export const DUPLICATE_CLOSE_SOURCE = 0x1;
export const DUPLICATE_SAME_ACCESS = 0x2;
export const DUPLICATE_SAME_ATTRIBUTES = 0x4;
export const OBJ_INHERIT = 0x2;
export const OBJ_OPENIF = 0x80;
export const READ_CONTROL = 0x20000;
export const SYNCHRONIZE = 0x100000;
/** DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER. */
export const STANDARD_RIGHTS_REQUIRED = 0xf0000;
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_ALL = 0x10000000;
export const SECTION_QUERY = 0x1;
export const SECTION_MAP_WRITE = 0x2;
export const SECTION_MAP_READ = 0x4;
export const SECTION_MAP_EXECUTE = 0x8;
export const SECTION_EXTEND_SIZE = 0x10;
export const SECTION_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_WRITE | SECTION_MAP_READ | SECTION_MAP_EXECUTE | SECTION_EXTEND_SIZE;
export const FILE_READ_DATA = 0x1;
export const FILE_WRITE_DATA = 0x2;
export const FILE_APPEND_DATA = 0x4;
export const FILE_READ_EA = 0x8;
export const FILE_WRITE_EA = 0x10;
export const FILE_EXECUTE = 0x20;
export const FILE_READ_ATTRIBUTES = 0x80;
export const FILE_WRITE_ATTRIBUTES = 0x100;
export const FILE_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1ff;
/** The file type's generic mapping (winnt.h; ntdll test_object_types). */
export const FILE_GENERIC_READ = READ_CONTROL | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE;
export const FILE_GENERIC_WRITE = READ_CONTROL | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE;
export const FILE_GENERIC_EXECUTE = READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE;
/** NtQuerySection's attribute of a section over a file (docs/kernel.md, "Calls"). */
export const SEC_FILE = 0x800000;

export const FILE_MAP_COPY = 0x01;
export const FILE_MAP_WRITE = 0x02;
export const FILE_MAP_READ = 0x04;
export const FILE_MAP_EXECUTE = 0x20;
export const FILE_MAP_ALL_ACCESS = SECTION_ALL_ACCESS;

export const EXCEPTION_READ_FAULT = 0;
export const EXCEPTION_WRITE_FAULT = 1;
export const EXCEPTION_EXECUTE_FAULT = 8;

export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_PATH_NOT_FOUND = 3;
export const ERROR_INVALID_HANDLE = 6;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_NOT_ENOUGH_MEMORY = 8;
export const ERROR_INVALID_PARAMETER = 87;
export const ERROR_PARTIAL_COPY = 299;
export const ERROR_INVALID_ADDRESS = 487;
export const ERROR_NOACCESS = 998;
/** VirtualUnlock of a page that is not locked (Microsoft's VirtualUnlock page; not in windows-semantics.md). */
export const ERROR_NOT_LOCKED = 158;
export const ERROR_MAPPED_ALIGNMENT = 1132;
export const ERROR_BAD_EXE_FORMAT = 193;
export const ERROR_COMMITMENT_LIMIT = 1455;
export const ERROR_INVALID_NAME = 123;
export const ERROR_ALREADY_EXISTS = 183;

export const STATUS_SUCCESS = 0;
export const STATUS_INVALID_INFO_CLASS = 0xc0000003;
export const STATUS_IMAGE_NOT_AT_BASE = 0x40000003;
/** Not in windows-semantics.md: ntstatus.h's value (docs/kernel.md, "Locking pages": a success). */
export const STATUS_WAS_LOCKED = 0x40000019;
export const STATUS_GUARD_PAGE_VIOLATION = 0x80000001;
export const STATUS_PARTIAL_COPY = 0x8000000d;
export const STATUS_ACCESS_VIOLATION = 0xc0000005;
export const STATUS_INVALID_HANDLE = 0xc0000008;
export const STATUS_INVALID_PARAMETER = 0xc000000d;
export const STATUS_NO_MEMORY = 0xc0000017;
export const STATUS_CONFLICTING_ADDRESSES = 0xc0000018;
export const STATUS_INVALID_IMAGE_FORMAT = 0xc000007b;
export const STATUS_NOT_MAPPED_VIEW = 0xc0000019;
export const STATUS_UNABLE_TO_FREE_VM = 0xc000001a;
export const STATUS_INVALID_VIEW_SIZE = 0xc000001f;
export const STATUS_ALREADY_COMMITTED = 0xc0000021;
export const STATUS_ACCESS_DENIED = 0xc0000022;
export const STATUS_NOT_COMMITTED = 0xc000002d;
/** Not in windows-semantics.md: ntstatus.h's value, for VirtualUnlock (mmukit's documented choice). */
export const STATUS_NOT_LOCKED = 0xc000002a;
export const STATUS_INVALID_PAGE_PROTECTION = 0xc0000045;
export const STATUS_SECTION_PROTECTION = 0xc000004e;
/** Not in windows-semantics.md: ntstatus.h's values (NtLockVirtualMemory with MAP_SYSTEM; NtFlushVirtualMemory of an anonymous or image view). */
export const STATUS_PRIVILEGE_NOT_HELD = 0xc0000061;
export const STATUS_NOT_MAPPED_DATA = 0xc0000088;
export const STATUS_FREE_VM_NOT_AT_BASE = 0xc000009f;
export const STATUS_MEMORY_NOT_ALLOCATED = 0xc00000a0;
export const STATUS_INVALID_PARAMETER_3 = 0xc00000f1;
export const STATUS_INVALID_PARAMETER_4 = 0xc00000f2;
export const STATUS_INVALID_PARAMETER_5 = 0xc00000f3;
export const STATUS_INVALID_PARAMETER_8 = 0xc00000f6;
export const STATUS_INVALID_PARAMETER_9 = 0xc00000f7;
export const STATUS_NOT_SAME_DEVICE = 0xc00000d4;
/** † in the semantics document. */
export const STATUS_COMMITMENT_LIMIT = 0xc000012d;
/** † in the semantics document (the SDK value, not re-checked there). */
export const STATUS_INVALID_ADDRESS = 0xc0000141;
export const STATUS_MAPPED_ALIGNMENT = 0xc0000220;
/** Object statuses (ntstatus.h), for the handle calls. */
export const STATUS_OBJECT_NAME_EXISTS = 0x40000000;
export const STATUS_OBJECT_TYPE_MISMATCH = 0xc0000024;
export const STATUS_OBJECT_NAME_INVALID = 0xc0000033;
export const STATUS_OBJECT_NAME_NOT_FOUND = 0xc0000034;
export const STATUS_OBJECT_NAME_COLLISION = 0xc0000035;
export const STATUS_OBJECT_PATH_NOT_FOUND = 0xc000003a;
export const STATUS_HANDLE_NOT_CLOSABLE = 0xc0000235;
/** Client ids and process handles (ntstatus.h). */
export const STATUS_INVALID_CID = 0xc000000b;
export const STATUS_PROCESS_IS_TERMINATING = 0xc000010a;

/**
 * Process and thread rights (winnt.h), and the Process and Thread types' generic mappings as
 * Wine's ntdll test_object_types reads them back on Windows (GENERIC_READ, _WRITE, _EXECUTE; ALL
 * is the type's valid mask).
 */
export const PROCESS_TERMINATE = 0x0001;
export const PROCESS_CREATE_THREAD = 0x0002;
export const PROCESS_VM_OPERATION = 0x0008;
export const PROCESS_VM_READ = 0x0010;
export const PROCESS_VM_WRITE = 0x0020;
export const PROCESS_DUP_HANDLE = 0x0040;
export const PROCESS_QUERY_INFORMATION = 0x0400;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const PROCESS_ALL_ACCESS = 0x1fffff;
export const PROCESS_GENERIC_READ = 0x20410;
export const PROCESS_GENERIC_WRITE = 0x20bea;
export const PROCESS_GENERIC_EXECUTE = 0x121001;
export const THREAD_SET_INFORMATION = 0x0020;
export const THREAD_QUERY_INFORMATION = 0x0040;
export const THREAD_SET_LIMITED_INFORMATION = 0x0400;
export const THREAD_QUERY_LIMITED_INFORMATION = 0x0800;
export const THREAD_ALL_ACCESS = 0x1fffff;
export const THREAD_GENERIC_READ = 0x20048;
export const THREAD_GENERIC_WRITE = 0x20437;
export const THREAD_GENERIC_EXECUTE = 0x121800;

/**
 * RtlNtStatusToDosError for the failure statuses the model may leave open (a Win32 error pinned,
 * the NTSTATUS not): the pairs of the semantics document (§1.8), and STATUS_INVALID_PARAMETER_n →
 * ERROR_INVALID_PARAMETER, the standard mapping.
 */
export const WIN32_ERROR_OF_STATUS: ReadonlyMap<number, number> = new Map([
  [STATUS_NOT_COMMITTED, ERROR_INVALID_ADDRESS],
  [STATUS_ACCESS_VIOLATION, ERROR_NOACCESS],
  [STATUS_INVALID_PAGE_PROTECTION, ERROR_INVALID_PARAMETER],
  [STATUS_ALREADY_COMMITTED, ERROR_ACCESS_DENIED],
  [STATUS_ACCESS_DENIED, ERROR_ACCESS_DENIED],
  [STATUS_CONFLICTING_ADDRESSES, ERROR_INVALID_ADDRESS],
  [STATUS_PARTIAL_COPY, ERROR_PARTIAL_COPY],
  [STATUS_FREE_VM_NOT_AT_BASE, ERROR_INVALID_ADDRESS],
  [STATUS_MEMORY_NOT_ALLOCATED, ERROR_INVALID_ADDRESS],
  [STATUS_NOT_MAPPED_VIEW, ERROR_INVALID_ADDRESS],
  [STATUS_UNABLE_TO_FREE_VM, ERROR_INVALID_PARAMETER],
  [STATUS_MAPPED_ALIGNMENT, ERROR_MAPPED_ALIGNMENT],
  [STATUS_NO_MEMORY, ERROR_NOT_ENOUGH_MEMORY],
  [STATUS_INVALID_PARAMETER, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_3, ERROR_INVALID_PARAMETER],
  [STATUS_INVALID_PARAMETER_5, ERROR_INVALID_PARAMETER],
]);

/**
 * NtQueryVirtualMemory's MEMORY_INFORMATION_CLASS values the model answers (SDK winternl.h; the
 * semantics document names the classes, B30, B31, not their numbers).
 */
export const MEMORY_CLASS_BASIC = 0;
export const MEMORY_CLASS_REGION = 3;
export const MEMORY_CLASS_IMAGE = 6;

/** MEMORY_REGION_INFORMATION's RegionType bits (SDK: the Private, MappedDataFile, MappedImage, MappedPageFile bit fields, in that order). */
export const REGION_PRIVATE = 0x1;
export const REGION_MAPPED_DATA_FILE = 0x2;
export const REGION_MAPPED_IMAGE = 0x4;
export const REGION_MAPPED_PAGE_FILE = 0x8;
