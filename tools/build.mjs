/**
 * `npm run build` after the type check: bundles src/cli.ts into dist/ with esbuild. Node then reads
 * the entry and a few chunks instead of resolving, reading and compiling ~150 modules of ours and
 * ~100 of yargs and its helpers one by one, which was most of the start-up of a short command.
 *
 * Every dynamic import() of src/ (a command's job, the sender, metrics, the emulator, the report
 * merge, the state actions) becomes its own chunk, loaded only when it runs: --help still loads none
 * of the job; the packages they import come with them (winston in the job's chunk, axios in the
 * sender's, prom-client in the metrics'). Packages that src/ loads with createRequire (csv-parse,
 * iconv-lite, yaml, better-sqlite3) are not seen by esbuild and stay in node_modules, loaded when
 * first needed; better-sqlite3 is also external by name, since its native addon cannot be bundled.
 *
 * A few packages are bundled differently from how they are written, to start faster: the plugins
 * below say which and why; each stand-in keeps the package's behaviour.
 *
 * dist/ is emptied first and holds only what runs (cli.js, its chunks and their source maps). What
 * went into each chunk is written to build/dist-meta.json (esbuild's metafile, not shipped): the
 * start-up test (test/integration/startup-imports.test.ts) maps the chunks a command loaded back to
 * the modules of src/ with it.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const meta = path.join(root, 'build', 'dist-meta.json');

/**
 * string-width (three copies: yargs' own, cliui's and wrap-ansi's) creates an Intl.Segmenter and
 * compiles Unicode-property RegExps when its module is evaluated, ~15 ms each for the first
 * Segmenter and for \p{RGI_Emoji}; only laying out help text calls it. Each `import ... from
 * 'string-width'` gets a stand-in whose stringWidth require()s the real module on its first call:
 * esbuild bundles a require() of an ES module as a wrapper evaluated when first called, so
 * a command that shows no help never evaluates string-width. Its only export is the default.
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, async ({ path: request, importer, resolveDir, kind, pluginData }) => {
      if (pluginData === lazyStringWidth) return undefined;
      const real = await build.resolve(request, { importer, resolveDir, kind, pluginData: lazyStringWidth });
      if (real.errors.length > 0) return { errors: real.errors };
      // Named relative to the repository, like the modules esbuild resolves itself (the metafile's keys).
      return { path: path.relative(root, real.path), namespace: lazyStringWidth.name };
    });
    build.onLoad({ filter: /.*/, namespace: lazyStringWidth.name }, ({ path: relative }) => {
      const real = path.resolve(root, relative);
      return {
        contents: `let impl;\nexport default function stringWidth(...args) {\n  return (impl ??= require(${JSON.stringify(real)}).default)(...args);\n}\n`,
        resolveDir: path.dirname(real),
        loader: 'js',
      };
    });
  },
};

/**
 * winston and winston-transport build on readable-stream 3, a copy of Node 10's stream module (~90 KB
 * with string_decoder and safe-buffer, compiled and evaluated with the job's chunk). It exists for
 * old Node versions; its own `READABLE_STREAM=disable` mode hands out Node's stream classes instead,
 * and that is what this stand-in does, for the two forms winston uses: `readable-stream` (it takes
 * Stream, Transform, Writable and PassThrough from it) and `readable-stream/lib/_stream_writable.js`.
 * Any other form fails the build, to be looked at.
 */
const nodeReadableStream = {
  name: 'node-readable-stream',
  setup(build) {
    const forms = {
      'readable-stream': "module.exports = require('node:stream');",
      'readable-stream/lib/_stream_writable.js': "module.exports = require('node:stream').Writable;",
    };
    build.onResolve({ filter: /^readable-stream(\/|$)/ }, ({ path: request }) =>
      Object.hasOwn(forms, request)
        ? { path: request, namespace: nodeReadableStream.name }
        : { errors: [{ text: `${request}: no stand-in for this form of readable-stream (tools/build.mjs)` }] },
    );
    build.onLoad({ filter: /.*/, namespace: nodeReadableStream.name }, ({ path: request }) => ({ contents: forms[request], loader: 'js' }));
  },
};

/**
 * winston's own debug logger, @dabh/diagnostics, picks its build at load: production (a no-op) when
 * NODE_ENV is production, as in the image, else development, which pulls in ~70 KB of colour code
 * (@so-ric/colorspace, @colors/colors) evaluated with the job's chunk. Development prints only the
 * namespaces DEBUG or DIAGNOSTICS names, and with neither set it is a no-op too: the stand-in takes
 * the development build only when it could print something, so every run logs what it did before.
 */
const quietDiagnostics = {
  name: 'quiet-diagnostics',
  setup(build) {
    build.onResolve({ filter: /^@dabh\/diagnostics$/ }, async ({ path: request, importer, resolveDir, kind, pluginData }) => {
      if (pluginData === quietDiagnostics) return undefined;
      const real = await build.resolve(request, { importer, resolveDir, kind, pluginData: quietDiagnostics });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: path.relative(root, real.path), namespace: quietDiagnostics.name };
    });
    build.onLoad({ filter: /.*/, namespace: quietDiagnostics.name }, ({ path: relative }) => {
      const dir = path.dirname(path.resolve(root, relative));
      const requireOf = (name) => `require(${JSON.stringify(path.join(dir, `${name}.js`))})`;
      return {
        contents: `module.exports =\n  process.env.NODE_ENV !== 'production' && (process.env.DEBUG || process.env.DIAGNOSTICS)\n    ? ${requireOf('development')}\n    : ${requireOf('production')};\n`,
        resolveDir: dir,
        loader: 'js',
      };
    });
  },
};

/**
 * yargs imports strictEqual and notStrictEqual from Node's assert for its internal checks, and
 * loading assert (with its AssertionError and diff helpers) is a millisecond or more of a command.
 * The stand-in makes the same comparison (Object.is, as assert does) and calls assert only when it
 * fails, so assert is loaded only to throw the AssertionError it would have thrown.
 */
const lazyAssert = {
  name: 'lazy-assert',
  setup(build) {
    build.onResolve({ filter: /^assert$/ }, ({ path: request, importer }) =>
      /[/\\]node_modules[/\\]yargs[/\\]/.test(importer) ? { path: request, namespace: lazyAssert.name } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: lazyAssert.name }, () => ({
      contents: [
        'export function strictEqual(actual, expected, message) {',
        "  if (!Object.is(actual, expected)) require('node:assert').strictEqual(actual, expected, message);",
        '}',
        'export function notStrictEqual(actual, expected, message) {',
        "  if (Object.is(actual, expected)) require('node:assert').notStrictEqual(actual, expected, message);",
        '}',
        '',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

rmSync(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  // The CommonJS packages bundled into a chunk (axios' and prom-client's dependencies) call
  // require() for Node's built-in modules, which an ES module does not have: give each chunk one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  // Error classes name themselves after their class (new.target.name, src/core/errors.ts): keep
  // the names esbuild would otherwise change when two modules declare the same one.
  keepNames: true,
  // Node reads, decodes and compiles every byte of a chunk it loads: without the indentation and
  // comments a validate loads 0.69 MB instead of 0.98. Only whitespace: the code is as written,
  // names included; a stack trace's positions in dist/ are columns of long lines, and the source
  // maps still point into src/.
  minifyWhitespace: true,
  // Like tsc's maps: positions only, pointing at src/ (the image ships no sources either way).
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [lazyStringWidth, nodeReadableStream, quietDiagnostics, lazyAssert],
});
mkdirSync(path.dirname(meta), { recursive: true });
writeFileSync(meta, `${JSON.stringify(result.metafile, null, 1)}\n`);
