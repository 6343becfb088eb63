// Model-based tests on Sv39 and PAE page tables, 2 CPUs each.
import { CONFIGS } from './configs.js';
import { modelBasedTests } from './suite.js';

modelBasedTests('Sv39, PAE', CONFIGS.filter((c) => c.kernel.format !== 'x86-64'));
