import t from 'tap';
import { placeholder } from '../src/index.js';

t.test('smoke', async (t) => {
  t.equal(placeholder, 1);
});
