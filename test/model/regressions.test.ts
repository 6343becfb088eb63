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
});
