import { PageFaultError, type TranslationFault } from '../../src/index.js';

/** The fault `action` throws as a {@link PageFaultError}; fails the test when it throws nothing, rethrows anything else. */
export function faultOf(action: () => unknown): TranslationFault {
  try {
    action();
  } catch (e) {
    if (e instanceof PageFaultError) return e.fault;
    throw e;
  }
  throw new Error('expected a page fault');
}
