/**
 * Control routes for tests and rehearsals, so a test driving the CLI as a child process can read the
 * state and flip faults at run time. They need no token and are not counted in the statistics.
 *   GET  /__state   the EmulatorState as JSON
 *   POST /__faults  a partial Faults object; answers the faults now in force
 *   POST /__tokens  {"tokens": [...]}: rotates the accepted tokens (never echoed back)
 *   POST /__reset   forgets customers and statistics
 */
import { err, ok, type Result } from '../core/result.js';
import { type Answer, emptyAnswer, errorAnswer, jsonAnswer } from './answers.js';
import type { EmulatorCore } from './emulator-core.js';
import { type Checked, formatProblems } from './options.js';

export const ADMIN_PREFIX = '/__';

interface AdminRoute {
  method: 'GET' | 'POST';
  /** `body` is the parsed JSON body of a POST ({} when empty). */
  run(core: EmulatorCore, body: unknown): Answer;
}

const noContent = (): Answer => emptyAnswer(204);

const ROUTES: Record<string, AdminRoute> = {
  '/__state': { method: 'GET', run: (core) => jsonAnswer(200, core.state()) },
  '/__faults': {
    method: 'POST',
    run: (core, body) => checkedAnswer(core.setFaults(body), (faults) => jsonAnswer(200, { faults })),
  },
  '/__tokens': {
    method: 'POST',
    run: (core, body) => checkedAnswer(core.setTokens((body as { tokens?: unknown } | null)?.tokens), noContent),
  },
  '/__reset': {
    method: 'POST',
    run: (core) => {
      core.reset();
      return noContent();
    },
  },
};

export function isAdminPath(path: string): boolean {
  return path.startsWith(ADMIN_PREFIX);
}

/** Answers an admin request; `bodyText` is the request body for POST routes. */
export function adminAnswer(core: EmulatorCore, method: string, path: string, bodyText = ''): Answer {
  const route = ROUTES[path];
  if (route === undefined) return errorAnswer(404, 'resourceNotFound', `No control route at ${path}`);
  if (route.method !== method) {
    return errorAnswer(405, 'methodNotAllowed', `Use ${route.method} for ${path}`, { allow: route.method });
  }
  const body = parseJson(bodyText);
  if (!body.ok) return errorAnswer(400, 'invalidRequest', 'the request body is not valid JSON');
  return route.run(core, body.value);
}

function checkedAnswer<T>(checked: Checked<T>, onSuccess: (value: T) => Answer): Answer {
  if (!checked.ok) return errorAnswer(400, 'invalidRequest', formatProblems(checked.error));
  return onSuccess(checked.value);
}

function parseJson(text: string): Result<unknown, undefined> {
  try {
    return ok(JSON.parse(text === '' ? '{}' : text));
  } catch {
    return err(undefined);
  }
}
