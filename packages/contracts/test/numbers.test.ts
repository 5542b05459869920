import t from 'tap';
import { isFloat32Finite } from '../src/index.js';

t.test('isFloat32Finite accepts what a Float32Array keeps finite, and nothing else', async (t) => {
  const max = 3.4028234663852886e38;
  const ok = [0, -0, 5.1, -3.5, 1e-45, 1e38, max, -max, 3.4028235e38];
  for (const value of ok) t.ok(isFloat32Finite(value), `${value} is accepted`);
  const bad = [1e39, -1e39, 3.5e38, 1e300, Number.MAX_VALUE, Infinity, -Infinity, NaN, '1', null];
  for (const value of bad) t.notOk(isFloat32Finite(value), `${String(value)} is rejected`);
  // The check agrees with what the worker's Float32Array would hold.
  for (const value of [...ok, 1e39, -3.5e38]) {
    t.equal(isFloat32Finite(value), Number.isFinite(new Float32Array([value])[0]), `${value}`);
  }
});
