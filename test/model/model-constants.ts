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
/** GetWriteWatch's flag (B103). */
export const WRITE_WATCH_FLAG_RESET = 0x01;
export const MEM_IMAGE = 0x1000000;

export const SEC_RESERVE = 0x4000000;
export const SEC_COMMIT = 0x8000000;

export const FILE_MAP_COPY = 0x01;
export const FILE_MAP_WRITE = 0x02;
export const FILE_MAP_READ = 0x04;
export const FILE_MAP_EXECUTE = 0x20;

export const EXCEPTION_READ_FAULT = 0;
export const EXCEPTION_WRITE_FAULT = 1;
export const EXCEPTION_EXECUTE_FAULT = 8;

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

export const STATUS_SUCCESS = 0;
export const STATUS_IMAGE_NOT_AT_BASE = 0x40000003;
export const STATUS_GUARD_PAGE_VIOLATION = 0x80000001;
export const STATUS_PARTIAL_COPY = 0x8000000d;
export const STATUS_ACCESS_VIOLATION = 0xc0000005;
export const STATUS_INVALID_HANDLE = 0xc0000008;
export const STATUS_INVALID_PARAMETER = 0xc000000d;
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
export const STATUS_FREE_VM_NOT_AT_BASE = 0xc000009f;
export const STATUS_MEMORY_NOT_ALLOCATED = 0xc00000a0;
export const STATUS_MAPPED_ALIGNMENT = 0xc0000220;
