/** The spool stage: pass 1 keeps the validated customers on disk; pass 2 sends from there. */
export { CustomerSample, CustomerSpool, type CustomerSink, type CustomerSpoolOptions } from './customer-spool.js';
export { LongSorter, DEFAULT_RUN_RECORDS, type LongSorterOptions } from './long-sort.js';
export { ScratchWriter, readScratchLines } from './scratch-file.js';
