import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openJournal, type Journal } from '../../src/state/journal.js';

const FINGERPRINT = 'ab'.repeat(32);
const OTHER_FINGERPRINT = 'cd'.repeat(32);

let stateDir: string;
let warnings: string[];
const opened: Journal[] = [];

beforeEach(async () => {
  stateDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'state-journal-')), 'state');
  warnings = [];
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((journal) => journal.close()));
  await fs.rm(path.dirname(stateDir), { recursive: true, force: true });
});

async function open(opts: { fingerprint?: string; fresh?: boolean } = {}): Promise<Journal> {
  const journal = await openJournal({
    stateDir,
    fingerprint: opts.fingerprint ?? FINGERPRINT,
    fresh: opts.fresh ?? false,
    onWarning: (message) => warnings.push(message),
  });
  opened.push(journal);
  return journal;
}

async function journalFiles(): Promise<string[]> {
  return (await fs.readdir(stateDir)).filter((name) => name.startsWith('journal-'));
}

describe('openJournal', () => {
  it('creates the state dir and a journal named by the fingerprint, resuming nothing', async () => {
    const journal = await open();
    expect(journal.resumed).toBe(false);
    expect(journal.acknowledgedCount).toBe(0);
    expect(journal.status(0)).toBeUndefined();
    expect(await journalFiles()).toEqual([`journal-${FINGERPRINT.slice(0, 16)}.log`]);
  });

  it('gives a reopened journal the statuses recorded before it was closed', async () => {
    const first = await open();
    first.record([0, 1, 2], ['updated', 'not_found', 'updated']);
    first.record([5, 3], ['not_found', 'updated']);
    await first.close();

    const second = await open();
    expect(second.resumed).toBe(true);
    expect(second.acknowledgedCount).toBe(5);
    expect([0, 1, 2, 3, 4, 5].map((o) => second.status(o))).toEqual(['updated', 'not_found', 'updated', 'updated', undefined, 'not_found']);
    expect(warnings).toEqual([]);
  });

  it('keeps appending after a resume, so a third run sees both runs', async () => {
    (await open()).record([0], ['updated']);
    const second = await open();
    second.record([1], ['not_found']);
    await second.close();
    const third = await open();
    expect([third.status(0), third.status(1)]).toEqual(['updated', 'not_found']);
  });

  it('ignores a torn last line with a warning and cuts it off so later records stay readable', async () => {
    const first = await open();
    first.record([0, 1], ['updated', 'updated']);
    first.record([2, 3], ['updated', 'updated']);
    await first.close();
    const [name] = await journalFiles();
    const file = path.join(stateDir, name!);
    const whole = await fs.readFile(file);
    await fs.writeFile(file, whole.subarray(0, whole.length - 6)); // kill -9 in the middle of the last write

    const second = await open();
    expect([0, 1, 2, 3].map((o) => second.status(o))).toEqual(['updated', 'updated', undefined, undefined]);
    expect(warnings).toEqual([expect.stringMatching(/ignoring the last \d+ bytes.*sent again/)]);
    second.record([2], ['not_found']);
    await second.close();

    warnings = [];
    const third = await open();
    expect(third.status(2)).toBe('not_found');
    expect(warnings).toEqual([]);
  });

  it('drops a line whose bytes were damaged in place, and everything after it', async () => {
    const first = await open();
    first.record([0], ['updated']);
    first.record([1], ['updated']);
    first.record([2], ['updated']);
    await first.close();
    const file = path.join(stateDir, (await journalFiles())[0]!);
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    lines[2] = lines[2]!.replace('"u":[1,1]', '"u":[1,9]');
    await fs.writeFile(file, lines.join('\n'));

    const second = await open();
    expect([0, 1, 2].map((o) => second.status(o))).toEqual(['updated', undefined, undefined]);
    expect(warnings).toEqual([expect.stringContaining('checksum mismatch')]);
  });

  it('never applies a journal whose header names another fingerprint', async () => {
    // Same file name (the 16-hex prefix), different inputs: only the header tells them apart.
    const colliding = FINGERPRINT.slice(0, 16) + 'e'.repeat(48);
    const first = await open({ fingerprint: colliding });
    first.record([0], ['updated']);
    await first.close();

    const second = await open();
    expect(second.resumed).toBe(false);
    expect(second.status(0)).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('belongs to other inputs')]);
    second.record([1], ['updated']);
    await second.close();
    expect((await open()).status(1)).toBe('updated');
  });

  it('starts a new journal when the header itself is damaged', async () => {
    (await open()).record([0], ['updated']);
    const file = path.join(stateDir, (await journalFiles())[0]!);
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace('"createdAt":"2', '"createdAt":"1'));

    const journal = await open();
    expect(journal.status(0)).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('unreadable header (checksum mismatch)')]);
  });

  it('does not apply the journal of other inputs, and says it is there', async () => {
    (await open({ fingerprint: OTHER_FINGERPRINT })).record([0], ['updated']);
    const journal = await open();
    expect(journal.resumed).toBe(false);
    expect(journal.status(0)).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining(`journal-${OTHER_FINGERPRINT.slice(0, 16)}.log`)]);
  });

  it('ignores and replaces the journal when fresh', async () => {
    const first = await open();
    first.record([0, 1], ['updated', 'not_found']);
    await first.close();

    const fresh = await open({ fresh: true });
    expect(fresh.resumed).toBe(false);
    expect(fresh.status(0)).toBeUndefined();
    fresh.record([7], ['updated']);
    await fresh.close();

    const after = await open();
    expect([after.status(0), after.status(7)]).toEqual([undefined, 'updated']);
  });

  it('removes the journal on complete, so the same input is sent in full next time', async () => {
    const journal = await open();
    journal.record([0], ['updated']);
    await journal.complete();
    expect(await journalFiles()).toEqual([]);

    const next = await open();
    expect(next.resumed).toBe(false);
    expect(next.status(0)).toBeUndefined();
  });

  it('round-trips a million ordinals with mixed outcomes', async () => {
    const total = 1_000_000;
    const perRequest = 50_000;
    const outcomeOf = (o: number) => (o % 7 === 0 ? 'not_found' : 'updated') as const;
    const first = await open();
    for (let start = 0; start < total; start += perRequest) {
      const ordinals = Array.from({ length: perRequest }, (_, i) => start + i);
      first.record(ordinals, ordinals.map(outcomeOf));
    }
    await first.close();

    const second = await open();
    expect(second.acknowledgedCount).toBe(total);
    let mismatches = 0;
    for (let o = 0; o < total; o++) if (second.status(o) !== outcomeOf(o)) mismatches++;
    expect(mismatches).toBe(0);
    expect(second.status(total)).toBeUndefined();
  });

  it('rejects a fingerprint that is not a sha256 as a bug (only code computes it), naming the option and value', async () => {
    await expect(openJournal({ stateDir, fingerprint: 'abc', fresh: false })).rejects.toThrow(RangeError);
    await expect(openJournal({ stateDir, fingerprint: 'abc', fresh: false })).rejects.toThrow(/fingerprint.*"abc"/);
  });

  it('refuses record arguments that do not line up, writing nothing', async () => {
    const journal = await open();
    expect(() => journal.record([0, 1], ['updated'])).toThrow(RangeError);
    expect(() => journal.record([-1], ['updated'])).toThrow(/ordinal -1/);
    await journal.close();
    expect((await open()).acknowledgedCount).toBe(0);
  });
});
