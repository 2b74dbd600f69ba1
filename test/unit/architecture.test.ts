/**
 * The layout's rules, checked on the source: no import cycle among src/ modules (type-only imports
 * aside: they vanish when compiled), a stage folder with an index.ts is imported through it from
 * outside, and the product never imports the tooling or the tests.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

interface Edge {
  from: string;
  to: string;
  /** Erased at compile time: `import type`, or every name marked `type`. */
  typeOnly: boolean;
  dynamic: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const edges: Edge[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const [, typeKeyword, names = '', staticSpec, dynamicSpec] = match;
    const spec = staticSpec ?? dynamicSpec;
    if (spec === undefined) continue;
    const list = names.trim();
    const everyNameIsType =
      list.startsWith('{') &&
      list
        .slice(1, -1)
        .split(',')
        .every((name) => name.trim() === '' || name.trim().startsWith('type '));
    edges.push({
      from: file,
      to: path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')),
      typeOnly: typeKeyword !== undefined || everyNameIsType,
      dynamic: dynamicSpec !== undefined,
    });
  }
  return edges;
}

/** Modules of a stage that declare values, not behaviour (see the index.ts rule below). */
const LIGHT_MODULES = new Set(['options.ts', 'id-list.ts']);

const files = sourceFiles(SRC);
const edges = files.flatMap(edgesOf);
const relative = (file: string): string => path.relative(SRC, file);

/** Strongly connected components of more than one module (Tarjan), over the static value imports. */
function cycles(): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) if (!edge.typeOnly && !edge.dynamic) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(relative(w));
      if (w === v) break;
    }
    if (component.length > 1) found.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

describe('the source layout', () => {
  it('reads every module and its imports', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(files.length);
  });

  it('has no import cycle', () => {
    expect(cycles()).toEqual([]);
  });

  it('imports a stage folder through its index.ts from outside the folder', () => {
    const around = edges.filter((edge) => {
      const folder = path.dirname(edge.to);
      if (path.basename(edge.to) === 'index.ts' || !existsSync(path.join(folder, 'index.ts'))) return false;
      // A stage's vocabulary (its option values, the id-list format) is imported by the command line
      // and the config on their own: through the index they would load the whole stage at start-up.
      if (LIGHT_MODULES.has(path.basename(edge.to)) && /^(cli|config)\//.test(relative(edge.from))) return false;
      return !`${path.dirname(edge.from)}/`.startsWith(`${folder}/`);
    });
    expect(around.map((edge) => `${relative(edge.from)} → ${relative(edge.to)}`)).toEqual([]);
  });

  it('never imports the benchmark or the tests', () => {
    const outside = edges.filter((edge) => !edge.to.startsWith(SRC));
    expect(outside.map((edge) => `${relative(edge.from)} → ${edge.to}`)).toEqual([]);
  });
});
