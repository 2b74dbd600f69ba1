/** The emulator's "400 for every request" fault: the flag, the control route and the answer. */
import yargs, { type Argv } from 'yargs';
import { emulatorCommand, emulatorOptionsFromArgs, type EmulatorArgs } from '../../src/cli/emulator.js';
import { adminAnswer } from '../../src/emulator/admin-routes.js';
import { EmulatorCore, REJECT_ALL_CODE, REJECT_ALL_DETAILS } from '../../src/emulator/emulator-core.js';
import { resolveEmulatorOptions } from '../../src/emulator/options.js';

function parseFlags(argv: string[]): EmulatorArgs {
  const builder = emulatorCommand.builder as (y: Argv) => Argv<EmulatorArgs>;
  return builder(yargs(argv)).parseSync() as EmulatorArgs;
}

function core(): EmulatorCore {
  const resolved = resolveEmulatorOptions({});
  if (!resolved.ok) throw new Error('defaults must resolve');
  return new EmulatorCore(resolved.value, () => 0);
}

const body = JSON.stringify({
  customers: [
    { document_id: 'a', segments: [] },
    { document_id: 'b', segments: null },
  ],
});

describe('reject-all', () => {
  it('is off by default; --reject-all turns it on', () => {
    const byDefault = emulatorOptionsFromArgs(parseFlags([]));
    expect(byDefault.ok && byDefault.value.faults?.rejectAll).toBeFalsy();
    expect(emulatorOptionsFromArgs(parseFlags(['--reject-all']))).toMatchObject({ ok: true, value: { faults: { rejectAll: true } } });
  });

  it('POST /__faults {rejectAll: true}: every valid request is answered 400 with the same {type, code, details}, nothing applied', () => {
    const emulator = core();
    expect(adminAnswer(emulator, 'POST', '/__faults', '{"rejectAll":true}').status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const answer = emulator.afterBody(body);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({ type: 'error', code: REJECT_ALL_CODE, details: REJECT_ALL_DETAILS });
    }
    expect(emulator.state().customers).toEqual({});
    expect(adminAnswer(emulator, 'POST', '/__faults', '{"rejectAll":false}').status).toBe(200);
    expect(emulator.afterBody(body).status).toBe(200);
  });

  it('refuses a value that is not a boolean', () => {
    const answer = adminAnswer(core(), 'POST', '/__faults', '{"rejectAll":"yes"}');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('faults.rejectAll must be true or false');
  });
});
