import t from 'tap';
import { RpcClient } from '@mlapi/rpc';
import { spawnWorker, startGateway, uniqueModel, waitLive, type ModelName } from './helpers/stack.js';

for (const model of ['fast', 'slow'] as ModelName[]) {
  t.test(model, async (t) => {
    const { name, dir } = await uniqueModel(t, model);
    spawnWorker(t, dir);
    const gw = await startGateway(t);
    await waitLive(gw, name);
    const rpc = new RpcClient({ logger: null, connectionName: 'probe' });
    await rpc.connect();
    t.teardown(() => rpc.close());
    let i = 0;
    const N = 2000;
    let s = Date.now();
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (i < N) { const k = i++; await rpc.call(`mlapi.${name}`, { inputs: [[1, 2, 3, k]] }, { type: 'predict' }); }
    }));
    t.comment(`${model} direct rpc: ${Math.round(N / ((Date.now() - s) / 1000))} req/s`);
    i = 0; s = Date.now();
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (i < N) { const k = i++; await gw.app.inject({ method: 'POST', url: '/predict', payload: { model_name: name, input_data: [[1, 2, 3, k + 0.5]] } }); }
    }));
    t.comment(`${model} gateway inject: ${Math.round(N / ((Date.now() - s) / 1000))} req/s`);
  });
}
