/**
 * Phase `index`: the id index's memory. Dry runs over files of only distinct ids (every row grows the
 * index, nothing else differs) at two sizes: the larger one's peak RSS is the figure, and the growth
 * between the two, per id, shows that memory grows with the index and not with what is read.
 */
import { scratch, type BenchEnv } from './env.js';
import { dryRun } from './dry-run.js';
import { writeUniqueIdFile, type FileFacts } from './generate.js';

export interface IdIndexFigures {
  smallIds: number;
  smallPeakRssMb: number;
  largeIds: number;
  largePeakRssMb: number;
  /** Extra peak RSS per extra id, in bytes. */
  bytesPerId: number;
}

export async function measureIdIndex(env: BenchEnv, smallIds: number, largeIds: number): Promise<IdIndexFigures> {
  const smallPeakRssMb = await peakRssForUniqueIds(env, smallIds);
  const largePeakRssMb = await peakRssForUniqueIds(env, largeIds);
  return {
    smallIds,
    smallPeakRssMb,
    largeIds,
    largePeakRssMb,
    bytesPerId: ((largePeakRssMb - smallPeakRssMb) * 1024 * 1024) / (largeIds - smallIds),
  };
}

async function peakRssForUniqueIds(env: BenchEnv, ids: number): Promise<number> {
  const { file, facts } = await uniqueIdFile(env, ids);
  env.say(`dry run over ${ids.toLocaleString('en-US')} distinct ids`);
  const { finished } = await dryRun(env, file, facts);
  return finished.peakRssMb;
}

const uniqueFiles = new Map<string, Promise<{ file: string; facts: FileFacts }>>();

/**
 * A file of `ids` distinct ids under the run's temp dir, generated once and kept to the end of the
 * run: the 10M-id dry run and the 10M-customer send run read the same one.
 */
export function uniqueIdFile(env: BenchEnv, ids: number): Promise<{ file: string; facts: FileFacts }> {
  const key = `${env.tmp}:${ids}`;
  let made = uniqueFiles.get(key);
  if (made === undefined) {
    made = (async () => {
      const file = await scratch(env, `unique-${ids}.csv`);
      env.say(`generating ${ids.toLocaleString('en-US')} distinct ids`);
      return { file, facts: await writeUniqueIdFile(file, ids) };
    })();
    uniqueFiles.set(key, made);
  }
  return made;
}
