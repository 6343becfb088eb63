import { afterEach, expect } from 'vitest';
import { Kernel, WindowsError, WindowsExceptionError, verify, type ExceptionRecord, type KernelOptions } from '../../src/index.js';

const booted: Kernel[] = [];

/**
 * After every test, every kernel it booted must pass verify(): reference counts,
 * page tables, TLBs and commit totals consistent. Tests that corrupt a kernel on
 * purpose call {@link forgetKernel} first.
 */
afterEach(() => {
  for (const kernel of booted.splice(0)) expect(verify(kernel)).toEqual([]);
});

/** Excludes a deliberately corrupted kernel from the after-test check. */
export function forgetKernel(kernel: Kernel): void {
  const i = booted.indexOf(kernel);
  if (i >= 0) booted.splice(i, 1);
}

/** A kernel with one process running on CPU 0. */
export function boot(options: KernelOptions = {}) {
  const kernel = new Kernel({ memorySize: 8 << 20, ...options });
  booted.push(kernel);
  const process = kernel.createProcess();
  const cpu = kernel.run(0, process);
  return { kernel, process, cpu, mmu: cpu.mmu };
}

/** Runs `action`, expects a WindowsError, returns it. */
export function windowsError(action: () => unknown): WindowsError {
  try {
    action();
  } catch (e) {
    if (e instanceof WindowsError) return e;
    throw e;
  }
  throw new Error('expected a WindowsError');
}

/** Expects `action` to fail with this Win32 error (and NTSTATUS, when given). */
export function expectWin32(action: () => unknown, win32Error: number, ntStatus?: number): WindowsError {
  const error = windowsError(action);
  expect(error.win32Error).toBe(win32Error);
  if (ntStatus !== undefined) expect(error.ntStatus >>> 0).toBe(ntStatus >>> 0);
  return error;
}

/** Runs `action`, expects the exception a Windows program would see, returns its record. */
export function exceptionOf(action: () => unknown): ExceptionRecord {
  try {
    action();
  } catch (e) {
    if (e instanceof WindowsExceptionError) return e.record;
    throw e;
  }
  throw new Error('expected a Windows exception');
}
