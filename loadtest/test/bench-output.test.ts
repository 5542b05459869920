import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { DEFAULT_OPTIONS, SAVED_OUT_DIR } from '../src/options.js';
import { formatCheck, missNote, type TargetCheck } from '../src/targets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ignored = (path: string) =>
  spawnSync('git', ['check-ignore', '-q', path], { cwd: ROOT }).status === 0;

t.test(
  'a default run writes where git does not look; only --save touches the committed files',
  async (t) => {
    for (const file of ['http.json', 'http.meta.json', 'http.svg', 'logs/gateway.log']) {
      t.ok(
        ignored(`${DEFAULT_OPTIONS.outDir}/${file}`),
        `${DEFAULT_OPTIONS.outDir}/${file} is ignored`,
      );
    }
    // The other benches (bench:rpc, bench:models) write beside it by default.
    for (const file of ['rpc.json', 'models.json']) {
      t.ok(ignored(`${DEFAULT_OPTIONS.outDir}/${file}`), `${file} is ignored`);
      t.notOk(ignored(`${SAVED_OUT_DIR}/${file}`), `${SAVED_OUT_DIR}/${file} is committed`);
    }
    t.notOk(ignored(`${SAVED_OUT_DIR}/http.json`), 'the saved results are tracked');
  },
);

t.test(
  'a missed target shows the load average beside its figure, and says why it may miss',
  async (t) => {
    const miss: TargetCheck = {
      target: 'fast cached: ≥ 20,000 req/s',
      measured: '9120 req/s at c64',
      met: false,
      loadavg_1m: 3.41,
    };
    t.equal(
      formatCheck(miss, 2),
      'MISS  fast cached: ≥ 20,000 req/s: 9120 req/s at c64   (load average 3.41 on 2 cores)',
    );
    t.equal(
      formatCheck({ ...miss, met: true }, 2),
      'MET   fast cached: ≥ 20,000 req/s: 9120 req/s at c64',
      'a target met needs no excuse',
    );
    const note = missNote([3.41, 2.9, 2.5], 2);
    t.match(note, /quiet machine/);
    t.match(note, /2 cores/);
    t.match(note, /3\.41, 2\.90, 2\.50/);
  },
);
