// The 64-bit loader DLLs of fixtures/pe as a module resolver: each file read once, so that every load of a name gets the
// same array (one file, as a real file cache would give; the kernel keys image sections by the array).
import { readFileSync } from 'node:fs';
import type { ModuleResolver } from '../../src/os/objects/modules.js';

const fixtures = new URL('../../fixtures/pe/', import.meta.url);
const files = new Map<string, Uint8Array>();

/** Resolves importer64.dll, exporter64.dll and target64.dll (any case); undefined for any other name. */
export const dllResolver: ModuleResolver = (name) => {
  const key = name.toLowerCase();
  if (!['importer64.dll', 'exporter64.dll', 'target64.dll'].includes(key)) return undefined;
  if (!files.has(key)) files.set(key, new Uint8Array(readFileSync(new URL(key, fixtures))));
  return files.get(key);
};
