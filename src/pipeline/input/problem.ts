/**
 * Structural problems found while reading a file are values (`InputProblem`) inside the pure
 * modules; the reader turns the first one into an InputError (exit 3) at the edge.
 */
import { InputError } from '../../core/errors.js';

export interface InputProblem {
  /** Stable code, e.g. 'CSV_QUOTE_NOT_CLOSED'; becomes InputError.code. */
  code: string;
  /** Physical line (the header is line 1). */
  line: number;
  /** "what is wrong; how to fix it", without the file name. */
  message: string;
}

export function inputProblem(code: string, line: number, message: string): InputProblem {
  return { code, line, message };
}

/** The error that stops the run: "file:line: what is wrong; how to fix". */
export function toInputError(display: string, problem: InputProblem): InputError {
  return new InputError(problem.code, `${display}:${problem.line}: ${problem.message}`, display, problem.line);
}

/** Keeps messages readable when a header has thousands of columns or a name is a whole line. */
export function describeNames(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => JSON.stringify(n.length > 40 ? `${n.slice(0, 40)}…` : n));
  const rest = names.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
