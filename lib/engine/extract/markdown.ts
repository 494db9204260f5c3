/** Small Markdown writers shared by the readers. */

/** One table cell's text: on one line, with pipes escaped. */
export function tableCell(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim().replace(/\|/g, "\\|");
}

/** A GitHub-style table row. */
export function tableRow(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** The line under a table's header row. */
export function tableSeparator(columns: number): string {
  return tableRow(Array.from({ length: Math.max(columns, 1) }, () => "---"));
}

/** A whole table from a header and rows of raw cell text. */
export function markdownTable(header: string[], rows: string[][]): string {
  const lines = [tableRow(header.map(tableCell)), tableSeparator(header.length)];
  for (const row of rows) lines.push(tableRow(row.map(tableCell)));
  return lines.join("\n");
}
