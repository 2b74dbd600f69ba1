/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) by self time: per file (our dist/ files, each
 * node_modules package, Node's internals, the VM's own entries such as the garbage collector) and
 * per function. Pure, so it can be tested on a hand-made profile.
 */

/** The parts of a .cpuprofile read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  /** Microseconds before each sample. */
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byFile: SelfTime[];
  byFunction: SelfTime[];
}

/**
 * Where a frame's code lives, shortened: `dist/state/segment-state.js`, `node_modules/better-sqlite3`,
 * `node:internal/streams/readable`, or the VM entry itself, such as `(garbage collector)`.
 */
export function fileOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    // split() gives at least one part, so `first` is never the default.
    const [first = '', second] = url.slice(modules + '/node_modules/'.length).split('/');
    return `node_modules/${first.startsWith('@') ? `${first}/${second}` : first}`;
  }
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const files = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = frames.get(id);
    if (frame === undefined || us <= 0) return;
    totalUs += us;
    const file = fileOf(frame.url, frame.functionName);
    const fn = frame.url === '' ? file : `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    files.set(file, (files.get(file) ?? 0) + us);
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  });
  const ranked = (map: Map<string, number>): SelfTime[] =>
    [...map]
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs || a.name.localeCompare(b.name));
  return { totalMs: totalUs / 1000, byFile: ranked(files), byFunction: ranked(functions) };
}

/** The summary as text: the `top` files and functions by self time, with their share of the total. */
export function formatProfile(summary: ProfileSummary, top: number): string {
  const line = (t: SelfTime): string =>
    `  ${(t.share * 100).toFixed(1).padStart(5)}%  ${(t.selfMs / 1000).toFixed(2).padStart(7)} s  ${t.name}`;
  return [
    `Sampled ${(summary.totalMs / 1000).toFixed(2)} s. Self time by file:`,
    ...summary.byFile.slice(0, top).map(line),
    'Self time by function:',
    ...summary.byFunction.slice(0, top).map(line),
  ].join('\n');
}
