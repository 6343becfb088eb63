// Shrunk operation lists that once showed mmukit disagreeing with the reference model,
// kept as plain tests: each must now run through every check of the harness.
import { describe, it } from 'vitest';
import { CONFIGS, type RunConfig } from './configs.js';
import type { Op } from './ops.js';
import { runSequence } from './property.js';

const config = (name: string): RunConfig => {
  const found = CONFIGS.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no configuration ${name}`);
  return found;
};

describe('model-based regressions', () => {
  it('a relocated image page reports READWRITE from the load on, not only once touched (B81, B95)', () => {
    // The second load is relocated; its .data page holds fixups, so the loader wrote it: a private
    // copy from then on, reporting PAGE_READWRITE. mmukit reported PAGE_WRITECOPY until first touch.
    const ops: Op[] = [
      { op: 'loadImage', proc: 0, image: 'few32.dll' },
      { op: 'loadImage', proc: 0, image: 'few32.dll' },
    ];
    runSequence(config('x86-64, 1 CPU'), ops);
  });

  it('under ASLR the image header holds the base the kernel relocated the image to (B92, §3.9)', () => {
    // mmukit shared the relocated fixup pages but left OptionalHeader.ImageBase at the preferred base.
    const ops: Op[] = [{ op: 'loadImage', proc: 1, image: 'few32.dll' }];
    runSequence(config('x86-64, 2 CPUs, ASLR'), ops);
  });

  it('under ASLR an image relocated privately (its system-wide base busy) has its header rewritten too (§3.9)', () => {
    // The second load finds the system-wide base taken by the first; the kernel relocates
    // a private copy, header included.
    const ops: Op[] = [
      { op: 'loadImage', proc: 0, image: 'hello32.exe' },
      { op: 'loadImage', proc: 0, image: 'hello32.exe' },
    ];
    runSequence(config('x86-64, 2 CPUs, ASLR'), ops);
  });
});
