/** A small RFC 4180 CSV parser: quoted fields, "" escapes, CRLF / LF / CR line ends. */

/** Thrown for malformed CSV (an unterminated quoted field). */
export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsvError";
  }
}

/** Splits CSV text into records of fields. Blank lines are skipped; a final line end is optional. */
export function parseCsv(text: string, delimiter = ","): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let i = 0;
  let line = 1;
  const n = text.length;
  const endRecord = () => {
    record.push(field);
    field = "";
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  };
  while (i < n) {
    const c = text[i];
    if (c === '"' && field === "") {
      // Quoted field: runs to the next lone quote; "" is a literal quote.
      const startLine = line;
      i++;
      let closed = false;
      while (i < n) {
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        if (q === "\n") line++;
        field += q;
        i++;
      }
      if (!closed) throw new CsvError(`Unterminated quoted field starting on line ${startLine}`);
      // Anything between the closing quote and the next delimiter is kept, as most readers do.
      continue;
    }
    if (c === delimiter) {
      record.push(field);
      field = "";
      i++;
    } else if (c === "\r" || c === "\n") {
      endRecord();
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== "" || record.length > 0) endRecord();
  return records;
}

/** Parses CSV with a header row into column names and row objects (missing cells are ""). */
export function csvToRows(text: string): { columns: string[]; rows: Record<string, string>[] } {
  const records = parseCsv(text);
  if (records.length === 0) return { columns: [], rows: [] };
  const seen = new Map<string, number>();
  const columns = records[0].map((raw, i) => {
    const base = raw.trim() || `column_${i + 1}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}_${count}`;
  });
  const rows = records.slice(1).map((cells) => {
    const row: Record<string, string> = {};
    columns.forEach((col, i) => {
      row[col] = cells[i] ?? "";
    });
    return row;
  });
  return { columns, rows };
}
