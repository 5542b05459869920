/**
 * Rows as a person pastes them: JSON (`[[5.1, 3.5, 1.4, 0.2], ...]` or one flat row), or one row
 * per line with numbers separated by commas, semicolons, tabs or spaces (a CSV export). A header
 * line of names is skipped. Throws with a message that says which line is wrong.
 */
export function parseRows(text: string): number[][] {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('Paste at least one row.');
  if (trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new Error('That is not valid JSON.');
    }
    const rows =
      Array.isArray(value) && value.every((v) => typeof v === 'number') ? [value] : value;
    if (!Array.isArray(rows) || rows.length === 0) throw new Error('Expected an array of rows.');
    return rows.map((row, i) => {
      if (!Array.isArray(row) || row.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        throw new Error(`Row ${i + 1} must be an array of finite numbers.`);
      }
      return row as number[];
    });
  }
  const rows: number[][] = [];
  const lines = trimmed.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.trim().split(/[\s,;]+/);
    const numbers = cells.map(Number);
    if (numbers.some((n) => !Number.isFinite(n))) {
      if (i === 0 && rows.length === 0 && cells.every((c) => Number.isNaN(Number(c)))) return; // a header
      throw new Error(`Line ${i + 1} has something that is not a number.`);
    }
    rows.push(numbers);
  });
  if (rows.length === 0) throw new Error('Paste at least one row.');
  return rows;
}
