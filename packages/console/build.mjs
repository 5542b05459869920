#!/usr/bin/env node
// Builds the console into dist/: one bundled, minified, content-hashed script and stylesheet
// (preact and uPlot included: nothing is fetched from a CDN), index.html pointing at them, and a
// gzip and a brotli copy of each file for the gateway to serve precompressed. The gateway only
// reads these files; nothing here runs at serve time.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = join(here, 'dist');
const started = Date.now();

await rm(dist, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(here, 'src', 'main.tsx')],
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const pick = (ext) => {
  const found = outputs.find((o) => o.endsWith(ext));
  if (found === undefined) throw new Error(`esbuild wrote no ${ext} file`);
  return basename(found);
};
const template = await readFile(join(here, 'src', 'index.html'), 'utf8');
const html = template.replace('__APP_JS__', pick('.js')).replace('__APP_CSS__', pick('.css'));
if (html.includes('__APP_')) throw new Error('index.html has a placeholder left');
await writeFile(join(dist, 'index.html'), html);

const files = [
  'index.html',
  ...outputs.filter((o) => !o.endsWith('.map')).map((o) => join('assets', basename(o))),
];
let bytes = 0;
for (const file of files) {
  const path = join(dist, file);
  const body = await readFile(path);
  bytes += body.length;
  await writeFile(`${path}.gz`, gzipSync(body, { level: 9 }));
  await writeFile(
    `${path}.br`,
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
}
await mkdir(dist, { recursive: true });
process.stdout.write(
  `console: ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB (before compression) in dist/ (${Date.now() - started} ms)\n`,
);
