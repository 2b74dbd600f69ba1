/** Load hook of import-recorder.mjs: appends the URL of every module loaded to the record file. */
import { appendFileSync } from 'node:fs';

let record;

export function initialize(data) {
  record = data.record;
}

export async function load(url, context, nextLoad) {
  appendFileSync(record, `${url}\n`);
  return nextLoad(url, context);
}
