/** The dedupe stage and its compact, exact id index. */
export { Classifier, shardOfRow } from './classify.js';
export type { ClassifyOptions } from './classify.js';
export { IdIndex } from './id-index.js';
export { checkLocation } from './id-log.js';
export type { IdIndexOptions, IdLocation } from './id-index.js';
export { checkHash, hashHiInto, hashId, hashInto, shardOf } from './hash.js';
export type { IdHash, IdHashHi } from './hash.js';
export { fmix32 } from './hash.js';
