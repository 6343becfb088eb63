// Every test run checks, at each kernel restore, that the records it skipped as unchanged are unchanged: a kernel
// call that changes records without marking them (src/os/records/change-log.ts) fails the test that makes it.
import { snapshotChecks } from '../../src/os/kernel/kernel-snapshots.js';

snapshotChecks.unchangedUnits = true;
