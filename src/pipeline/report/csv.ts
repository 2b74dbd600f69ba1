/**
 * CSV cell encoding for the report files. Every report file uses ',' and LF line ends: RFC 4180
 * quoting is what makes a cell safe for any parser, and LF keeps the files friendly to grep, wc and
 * line-based tools (every CSV parser we care about, Excel included, reads LF).
 */

/**
 * The formula rule ("CSV injection", OWASP). A spreadsheet evaluates a cell that starts with `=`,
 * `+`, `-` or `@` (and tab or CR can hide such a start). But results.csv must stay joinable with
 * the source export, and ids such as `+573001234567` (a phone number) or `-100` are common: a sign
 * followed by a plain number is a number to a spreadsheet, never a formula, so it is written as is.
 * A cell is prefixed with `'` when it starts with
 *   - `=` or `@`, or a tab or CR; or
 *   - `+` or `-` and is not a plain number: a sign, digits with at most one decimal point, and an
 *     optional exponent (`+573001234567`, `-100`, `-1.5`, `+.5`, `+1e5` stay as they are;
 *     `-2+3`, `+A1`, `-cmd|' /C calc'!A0`, `+57 300 123`, `-` alone are prefixed).
 * Other cells are left alone.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const SIGNED_NUMBER = /^[+-](?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Characters that force RFC 4180 quoting. */
const NEEDS_QUOTES = /[",\r\n]/;

/** Either of the above: one regex test is the whole cost for the usual cell, which needs neither
 *  (this runs for every cell of a million-row report). */
const NEEDS_WORK = new RegExp(`${FORMULA_START.source}|${NEEDS_QUOTES.source}`);

/** True when a spreadsheet would run the cell as a formula (the rule above). */
export function isFormula(cell: string): boolean {
  return FORMULA_START.test(cell) && !SIGNED_NUMBER.test(cell);
}

/**
 * Prefixes a single quote to a cell that a spreadsheet would evaluate as a formula. The quote makes
 * Excel, LibreOffice and Google Sheets show the text as typed. Idempotent: the prefixed cell no
 * longer starts with a trigger.
 */
export function neutraliseFormula(cell: string): string {
  return isFormula(cell) ? `'${cell}` : cell;
}

/** RFC 4180: quote a cell containing the delimiter, a quote, CR or LF, doubling its quotes. */
export function csvCell(cell: string): string {
  return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** A cell of a report meant for people: neutralised first, then quoted (the order matters: the
 *  quote we add must end up inside the CSV quotes). */
export function safeCell(cell: string): string {
  return NEEDS_WORK.test(cell) ? csvCell(neutraliseFormula(cell)) : cell;
}

/** One CSV record, line end included. Cells are quoted but not neutralised. */
export function csvRecord(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\n`;
}
