// Model-based tests on x86-64 page tables: 1 CPU, 2 CPUs, and 2 CPUs without ASIDs or zero-page sharing.
import { CONFIGS } from './configs.js';
import { modelBasedTests } from './suite.js';

modelBasedTests('x86-64', CONFIGS.filter((c) => c.kernel.format === 'x86-64'));
