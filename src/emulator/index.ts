/** The endpoint emulator: a local stand-in for the customer-segments bulk endpoint, with faults. */
export { startEmulator, type EmulatorHandle, type EmulatorOptions, type EmulatorState, type Faults } from './server.js';
export { DEFAULT_FAULTS, EMULATOR_DEFAULTS, ENDPOINT_PATH, checkFaults, formatProblems, resolveEmulatorOptions } from './options.js';
export type { Checked, OptionProblem } from './options.js';
export { parseIdList } from './id-list.js';
