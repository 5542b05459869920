import t from 'tap';
import { readRepoFile } from '../src/repo.js';
import { envVarsRead } from '../src/service-contract.js';

// The configuration tables are what operators read; a variable the code reads but the table
// omits is a setting nobody can find, and a row the code no longer reads is a setting that lies.
const documented: [string, string][] = [
  ['packages/api/src/config.ts', 'README.md'],
  ['packages/worker/src/config.ts', 'packages/worker/README.md'],
];

/** The first-column names of every Markdown table row in a document. */
function tableNames(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    const cell = /^\|\s*`?([A-Z][A-Z0-9_]*)`?\s*\|/.exec(line);
    if (cell?.[1] !== undefined) names.add(cell[1]);
  }
  return names;
}

for (const [config, doc] of documented) {
  t.test(`every variable ${config} reads is in the configuration table of ${doc}`, async (t) => {
    const read = envVarsRead(config);
    const rows = tableNames(readRepoFile(doc));
    t.ok(read.size > 5, 'the reader found the variables');
    for (const name of read) t.ok(rows.has(name), `${name} is documented in ${doc}`);
  });
}

t.test('every gateway variable the README documents is one the gateway reads', async (t) => {
  const read = envVarsRead('packages/api/src/config.ts');
  const readme = readRepoFile('README.md');
  const section = readme.slice(readme.indexOf('## Gateway configuration'));
  const table = section.slice(0, section.indexOf('\n## '));
  for (const name of tableNames(table)) t.ok(read.has(name), `${name} is read by the gateway`);
});
