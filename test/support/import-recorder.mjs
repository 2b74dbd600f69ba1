/**
 * Preload (`node --import ./import-recorder.mjs`) that records every module the process loads, one
 * file URL a line, in the file named by IMPORT_RECORD. ES modules are recorded by a load hook
 * (import-recorder-hooks.mjs, on the loader thread: it appends each URL before the module runs, so
 * none is lost when the process exits). CommonJS modules loaded with require() do not pass the hooks
 * in Node 20, so at exit the CommonJS cache is appended too: a package required lazily is listed
 * exactly when it was loaded.
 *
 * Work a module does when evaluated is not in that list: the first Intl.Segmenter constructed (what
 * string-width does, tens of milliseconds with its RegExps, see tools/build.mjs) is recorded as the
 * line `intl:Segmenter`, so a test can tell that a command never laid out any help text.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const record = process.env.IMPORT_RECORD;
if (record) {
  register('./import-recorder-hooks.mjs', import.meta.url, { data: { record } });
  const require = createRequire(import.meta.url);
  const Segmenter = Intl.Segmenter;
  let segmenterSeen = false;
  Intl.Segmenter = new Proxy(Segmenter, {
    construct(target, args, newTarget) {
      if (!segmenterSeen) appendFileSync(record, 'intl:Segmenter\n');
      segmenterSeen = true;
      return Reflect.construct(target, args, newTarget);
    },
  });
  process.on('exit', () => {
    const urls = Object.keys(require.cache).map((file) => pathToFileURL(file).href);
    appendFileSync(record, urls.map((url) => `${url}\n`).join(''));
  });
}
