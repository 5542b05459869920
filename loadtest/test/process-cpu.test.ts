import { pbkdf2Sync } from 'node:crypto';
import t from 'tap';
import { CpuMeter, cpuSeconds, pidsByComm } from '../src/process-cpu.js';

t.test('this process has used some CPU and a missing pid reads as null', async (t) => {
  const s = cpuSeconds(process.pid);
  t.ok(s !== null && s > 0);
  t.equal(cpuSeconds(2 ** 22 + 12345), null);
});

t.test('processes are found by their command name', async (t) => {
  t.ok(pidsByComm('node').includes(process.pid));
  t.same(pidsByComm('no-such-command-here'), []);
});

t.test('the meter reports busy work as CPU share and skips names it cannot read', async (t) => {
  const meter = new CpuMeter({ self: [process.pid], gone: [2 ** 22 + 12345] });
  meter.start();
  // CPU work for the meter to see: key stretching burns a known amount of CPU on this thread.
  const key = pbkdf2Sync('password', 'salt', 300_000, 32, 'sha256');
  const shares = meter.stop();
  t.equal(key.length, 32);
  t.ok((shares.self ?? 0) > 0, `self ${shares.self}%`);
  t.notOk('gone' in shares);
});
