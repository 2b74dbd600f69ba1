/** A test's own files: a fresh temp directory for its input, report, state, token and TMPDIR. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Workspace {
  root: string;
  /** The input file (customers.csv; written only when makeWorkspace is given its text). */
  input: string;
  /** The run's --report-dir (not created: the CLI makes it). */
  report: string;
  /** The run's --state-dir (not created: the CLI makes it). */
  state: string;
  /** Where a test writes a token for --token-file. */
  tokenFile: string;
  /** The runs' TMPDIR: what a killed run leaves there goes with the workspace, not into /tmp. */
  tmpDir: string;
  /** Another report dir under the same root, for a second run in the same test. */
  reportNamed(name: string): string;
  remove(): Promise<void>;
}

/** A fresh workspace; `csv`, when given, is written to its input file. */
export async function makeWorkspace(csv?: string): Promise<Workspace> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'segment-sync-test-'));
  const input = path.join(root, 'customers.csv');
  if (csv !== undefined) await fs.writeFile(input, csv);
  const tmpDir = path.join(root, 'tmp');
  await fs.mkdir(tmpDir);
  return {
    root,
    input,
    report: path.join(root, 'report'),
    state: path.join(root, 'state'),
    tokenFile: path.join(root, 'token'),
    tmpDir,
    reportNamed: (name) => path.join(root, name),
    remove: () => fs.rm(root, { recursive: true, force: true }),
  };
}

/** Runs `fn` with a fresh workspace, and removes it afterwards. */
export async function withWorkspace<T>(fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await makeWorkspace();
  try {
    return await fn(ws);
  } finally {
    await ws.remove();
  }
}

/** Replaces the token file in one step, as a rotated Kubernetes secret does (never half-written). */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${token}\n`);
  await fs.rename(temp, file);
}
