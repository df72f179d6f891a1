/** A plain-text table for the terminal and a Markdown one for docs/performance.md, from the same rows. */

export type Row = (string | number)[];

/** Columns padded to their widest cell; numbers right-aligned. */
export function textTable(headers: string[], rows: Row[]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: Row, header = false) =>
    r
      .map((cell, c) =>
        typeof cell === 'number' && !header ? String(cell).padStart(widths[c]!) : String(cell).padEnd(widths[c]!),
      )
      .join('  ')
      .trimEnd();
  return [line(headers, true), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map((r) => line(r))].join('\n');
}

export function markdownTable(headers: string[], rows: Row[]): string {
  const line = (r: Row) => `| ${r.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}
