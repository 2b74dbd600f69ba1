/**
 * CSV cell encoding for the report files. Every report file uses ',' and LF line ends: RFC 4180
 * quoting is what makes a cell safe for any parser, and LF keeps the files friendly to grep, wc and
 * line-based tools (every CSV parser we care about, Excel included, reads LF).
 */

/** A first character that makes a spreadsheet evaluate the cell (OWASP "CSV injection"):
 *  = + - @ tab CR. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Characters that force RFC 4180 quoting. */
const NEEDS_QUOTES = /[",\r\n]/;

/** Either of the above: one regex test is the whole cost for the usual cell, which needs neither
 *  (this runs for every cell of a million-row report). */
const NEEDS_WORK = new RegExp(`${FORMULA_START.source}|${NEEDS_QUOTES.source}`);

/**
 * Prefixes a single quote to a cell that a spreadsheet would evaluate as a formula. The quote makes
 * Excel, LibreOffice and Google Sheets show the text as typed. Idempotent: the prefixed cell no
 * longer starts with a trigger.
 */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
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
