import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  accessibilityViolations,
  DESKTOP,
  launch,
  openPage,
  overflowsSideways,
  PHONE,
  type WatchedPage,
} from './helpers/browser.js';
import {
  Cleanup,
  MODELS,
  ROOT,
  servedRoutes,
  startGateway,
  startStack,
  startWorker,
  unique,
  waitFor,
} from './helpers/stack.js';

// One stack (gateway + a real worker per model, on a vhost of its own) and one browser for
// the whole file: both are slow to start on two cores.
const cleanup = new Cleanup();
t.teardown(() => cleanup.run());
// A pepper makes the gateway serve the key routes (AUTH stays off), so the Keys page is offered.
const { amqpUrl, gateway } = await startStack(cleanup, {
  API_KEY_PEPPER: unique('pepper').padEnd(40, 'p'),
});
const browser = await launch();
cleanup.add(() => browser.close());
const routes = await servedRoutes(gateway.url);
const reference = JSON.parse(
  await readFile(join(ROOT, 'models', 'reference.json'), 'utf8'),
) as Record<string, { version: string; inputs: number[][]; predictions: number[] }>;
const LABELS = ['setosa', 'versicolor', 'virginica'];
const base = gateway.url;

/** `^PUT \/admin\/models\/\{\w+\}\/traffic$` as `PUT /admin/models/{m}/traffic`. */
function readable(re: RegExp): string {
  return re.source
    .replace(/^\^|\$$/g, '')
    .replaceAll('\\{\\w+\\}', '{…}')
    .replaceAll('\\', '');
}

/** The reason a contract test cannot run on this branch, or false when its routes are here. */
function missing(...needed: RegExp[]): string | false {
  const absent = needed.filter((re) => ![...routes].some((r) => re.test(r)));
  return absent.length === 0
    ? false
    : `this branch's gateway does not serve ${absent.map(readable).join(' or ')} yet`;
}

async function predict(model: string, rows: number[][], headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model_name: model, input_data: rows }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function visit(w: WatchedPage, hash: string) {
  await w.page.goto(`${base}/console/#/${hash}`);
}

t.test('the Models page shows every model and version live from the real stack', async (t) => {
  // Traffic before the page opens: 12 distinct rows for fast, then the first 4 again (hits).
  const rows = reference.fast?.inputs.slice(0, 12) ?? [];
  t.equal(rows.length, 12);
  for (const row of rows) t.equal((await predict('fast', [row])).status, 200);
  for (const row of rows.slice(0, 4)) t.equal((await predict('fast', [row])).status, 200);

  const w = await openPage(browser, DESKTOP);
  t.teardown(() => w.close());
  await visit(w, 'models');
  for (const m of MODELS) {
    const row = w.page.locator(`tr[data-series="${m}@1"]`);
    await row.waitFor();
    await waitFor(
      `${m} shows one live worker`,
      15_000,
      async () => (await row.locator('[data-field="workers"]').textContent()) === '1',
    );
    // Depths come from the broker, probed from the first tick someone watches.
    await waitFor(
      `${m} shows its queue depth, 0`,
      15_000,
      async () => (await row.locator('[data-field="queue"]').textContent()) === '0',
    );
  }
  const fast = w.page.locator('tr[data-series="fast@1"]');
  await waitFor(
    'fast to show its request rate',
    15_000,
    async () => (await fast.locator('[data-field="rate"]').textContent()) !== '0.00/s',
  );
  t.equal(await fast.locator('[data-field="cache"]').textContent(), '25.0%', '4 hits in 16');
  t.equal(await fast.locator('[data-field="errors"]').textContent(), '0.0%');
  t.ok((await w.page.locator('.card canvas').count()) >= MODELS.length * 2, 'two charts a model');

  // It is live: traffic sent now shows up without a reload.
  const slow = w.page.locator('tr[data-series="slow@1"] [data-field="rate"]');
  t.equal(await slow.textContent(), '0.00/s');
  for (const row of reference.slow?.inputs.slice(0, 5) ?? []) {
    t.equal((await predict('slow', [row])).status, 200);
  }
  await waitFor(
    'slow traffic to reach the open page',
    15_000,
    async () => (await slow.textContent()) !== '0.00/s',
  );
  t.same(w.errors, [], 'no error in the browser console');
});

t.test('Try it returns a real prediction and names the version, by keyboard alone', async (t) => {
  const w = await openPage(browser, DESKTOP);
  t.teardown(() => w.close());
  await visit(w, 'try');
  const model = w.page.getByLabel('Model');
  await waitFor(
    'the model list',
    15_000,
    async () => (await model.locator('option').count()) === 3,
  );

  // Every control is reachable with Tab, in reading order.
  const reached: string[] = [];
  for (let i = 0; i < 15; i++) {
    await w.page.keyboard.press('Tab');
    reached.push(
      await w.page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return `${el?.tagName.toLowerCase()}:${el?.getAttribute('name') ?? el?.textContent?.trim()}`;
      }),
    );
  }
  for (const stop of ['a:Models', 'a:Try it', 'select:model', 'textarea:rows', 'button:Predict']) {
    t.ok(reached.includes(stop), `Tab reaches ${stop}`);
  }
  t.ok(reached.indexOf('select:model') < reached.indexOf('button:Predict'), 'in reading order');

  const rows = reference.intermediate?.inputs.slice(0, 3) ?? [];
  t.equal(rows.length, 3);
  await model.focus();
  await w.page.keyboard.press('ArrowDown'); // fast → intermediate
  t.equal(await model.inputValue(), 'intermediate');
  await w.page.getByLabel('Rows').focus();
  await w.page.keyboard.press('ControlOrMeta+A');
  await w.page.keyboard.insertText(rows.map((r) => r.join(', ')).join('\n'));
  await w.page.getByRole('button', { name: 'Predict' }).focus();
  await w.page.keyboard.press('Enter');

  await w.page.getByTestId('answered-by').waitFor();
  t.equal(
    await w.page.getByTestId('answer-version').textContent(),
    reference.intermediate?.version,
  );
  const labels = await w.page.locator('td[data-field="label"]').allTextContents();
  t.same(
    labels,
    (reference.intermediate?.predictions.slice(0, 3) ?? []).map((p) => LABELS[p]),
    "the labels are the model's real predictions",
  );
  t.same(w.errors, [], 'no error in the browser console');
});

t.test('the pages this gateway serves are offered, the others are not', async (t) => {
  const w = await openPage(browser, DESKTOP);
  t.teardown(() => w.close());
  await visit(w, 'models');
  const nav = w.page.getByRole('navigation', { name: 'Console pages' });
  await nav.getByRole('link', { name: 'Try it' }).waitFor();
  const offered = await nav.getByRole('link').allTextContents();
  t.same(
    offered,
    [
      'Models',
      'Try it',
      ...(missing(/^PUT \/admin\/models\/\{\w+\}\/traffic$/) ? [] : ['Traffic']),
      ...(missing(/^POST \/admin\/keys$/) ? [] : ['Keys and usage']),
      ...(missing(/^POST \/v1\/jobs$/) ? [] : ['Jobs']),
      'API docs',
    ],
    'one link per served page',
  );
  t.same(w.errors, []);
});

t.test('every page works at 1280x800 and at 375 px, with no accessibility violation', async (t) => {
  const pages = ['models', 'try', 'traffic', 'keys', 'jobs', 'sign-in'];
  for (const viewport of [DESKTOP, PHONE]) {
    const w = await openPage(browser, viewport);
    for (const hash of pages) {
      await visit(w, hash);
      await w.page.locator('h1').first().waitFor();
      await w.page.waitForFunction(() => !/Loading|Waiting/.test(document.body.textContent ?? ''));
      t.notOk(await overflowsSideways(w.page), `${hash} at ${viewport.width} px fits its width`);
      t.same(await accessibilityViolations(w.page), [], `${hash} at ${viewport.width} px: axe`);
    }
    t.same(w.errors, [], `no error in the browser console at ${viewport.width} px`);
    await w.close();
  }
});

t.test('/docs renders every documented operation from the gateway itself', async (t) => {
  const w = await openPage(browser, DESKTOP);
  t.teardown(() => w.close());
  const offsite: string[] = [];
  w.page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) offsite.push(r.url());
  });
  await w.page.goto(`${base}/docs`);
  await w.page.locator('.opblock').first().waitFor();
  const documented = [...routes].length;
  t.ok(documented >= 15, `the document lists ${documented} operations`);
  t.equal(await w.page.locator('.opblock').count(), documented, 'one block per operation');
  t.same(offsite, [], 'nothing is loaded from anywhere but the gateway');
  t.same(w.errors, []);
});

t.test(
  'changing a traffic weight changes the policy the API returns',
  {
    skip: missing(
      /^PUT \/admin\/models\/\{\w+\}\/traffic$/,
      /^GET \/admin\/models\/\{\w+\}\/traffic$/,
    ),
  },
  async (t) => {
    // A second version of fast, so there is a weight to move.
    await startWorker(cleanup, amqpUrl, 'fast', '2');
    await waitFor('fast version 2', 30_000, async () => {
      const meta = (await (await fetch(`${base}/v2/models/fast`)).json()) as {
        versions?: string[];
      };
      return meta.versions?.includes('2') === true;
    });
    const policy = async () =>
      (
        (await (await fetch(`${base}/admin/models/fast/traffic`)).json()) as {
          policy: { weights: Record<string, number> } | null;
        }
      ).policy?.weights ?? {};
    const sorted = (weights: Record<string, number>) =>
      Object.fromEntries(Object.entries(weights).sort(([a], [b]) => a.localeCompare(b)));
    const w = await openPage(browser, DESKTOP);
    t.teardown(() => w.close());
    await visit(w, 'traffic');
    const card = w.page.locator('article[data-model="fast"]');
    await card.getByLabel('Weight of version 2').fill('25');
    await card.getByLabel('Weight of version 1').fill('75');
    await card.getByRole('button', { name: 'Apply…' }).click();
    await w.page.getByRole('dialog').getByRole('button', { name: 'Apply the new policy' }).click();
    const expect = async (what: string, wanted: Record<string, number>) => {
      const same = async () =>
        JSON.stringify(sorted(await policy())) === JSON.stringify(sorted(wanted));
      await waitFor(what, 10_000, same).catch(() => {});
      t.same(sorted(await policy()), sorted(wanted), what);
    };
    await expect('the API returns the weights set with the sliders', { 1: 75, 2: 25 });
    await card.getByRole('button', { name: 'Promote 2' }).click();
    await expect('promote: one click, all traffic to version 2', { 2: 100 });
    await card.getByRole('button', { name: /^Roll back/ }).click();
    await expect('roll back: one click, the policy before', { 1: 75, 2: 25 });
    t.same(w.errors, []);
  },
);

t.test(
  'a new key is shown once and works for a predict (AUTH=keys)',
  { skip: missing(/^POST \/admin\/keys$/, /^GET \/v1\/usage$/) },
  async (t) => {
    const admin = `mla_${unique('admin').replaceAll('-', '')}${'x'.repeat(32)}`;
    const keyed = await startGateway(cleanup, amqpUrl, {
      AUTH: 'keys',
      ADMIN_API_KEY: admin,
      API_KEY_PEPPER: unique('pepper').padEnd(40, 'p'),
      // Its own embedded key store, not the checkout's .mlapi-state.
      STATE_DIR: join(tmpdir(), unique('console-keys')),
    });
    const w = await openPage(browser, DESKTOP);
    t.teardown(() => w.close());
    await w.page.goto(`${keyed.url}/console/#/sign-in`);
    await w.page.getByLabel('API key').fill(admin);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in as admin before moving on, as a person would see it: the Keys page shows the
    // admin's form only once the console knows the key's scopes.
    await w.page.getByText('Signed in (admin)').waitFor();
    await w.page.getByRole('link', { name: 'Keys and usage' }).click();
    await w.page.getByRole('heading', { name: 'Keys and usage' }).waitFor();
    const form = w.page.locator('details', { hasText: 'Create a key' });
    await form.waitFor();
    // Open by itself when there is no key yet, where a click on its summary would close it; the
    // key list loads after the first render, so check again until it stays open.
    await waitFor('the create-key form to open', 10_000, async () => {
      if ((await form.getAttribute('open')) === null) await form.locator('summary').click();
      return (await form.getAttribute('open')) !== null;
    });
    const name = unique('console-key');
    await form.getByLabel('Name', { exact: true }).fill(name);
    await w.page.getByRole('button', { name: 'Create key' }).click();
    const shown = w.page.getByTestId('new-key');
    await shown.waitFor();
    const key = await shown.inputValue();
    t.match(key, /^mlk_[^_]+_.+/, 'the key is shown');
    t.equal(
      (await w.page.evaluate(() => [document.cookie, location.href].join(' '))).includes(key),
      false,
      'never in a cookie or the URL',
    );
    await w.page.getByRole('button', { name: 'Done' }).click();
    await w.page.reload();
    await w.page.getByRole('heading', { name: 'Keys and usage' }).waitFor();
    await w.page.getByText(name).waitFor();
    t.notOk((await w.page.content()).includes(key), 'shown once: gone after Done and a reload');

    const res = await fetch(`${keyed.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model_name: 'fast', input_data: [[5.1, 3.5, 1.4, 0.2]] }),
    });
    t.equal(res.status, 200, 'the new key predicts');
    t.same(w.errors, []);
  },
);

t.test(
  "a job's progress bar reaches 100%",
  { skip: missing(/^POST \/v1\/jobs$/, /^GET \/v1\/jobs\/\{\w+\}\/events$/) },
  async (t) => {
    const w = await openPage(browser, DESKTOP);
    t.teardown(() => w.close());
    await visit(w, 'jobs');
    const rows = reference.slow?.inputs ?? [];
    t.ok(rows.length >= 50);
    await w.page.getByLabel('Model').selectOption('slow');
    await w.page.getByLabel('Rows').fill(rows.map((r) => r.join(',')).join('\n'));
    await w.page.getByRole('button', { name: 'Submit job' }).click();
    const job = w.page.locator('li.job').first();
    await job.waitFor();
    await waitFor('the job to finish', 60_000, async () =>
      ['succeeded', 'failed', 'canceled', 'expired'].includes(
        (await job.getAttribute('data-status')) ?? '',
      ),
    );
    t.equal(await job.getAttribute('data-status'), 'succeeded');
    t.equal(await job.locator('progress').getAttribute('value'), '100', 'the bar reached 100%');
    t.ok(await job.getByRole('button', { name: /Download results/ }).isVisible());
    t.same(w.errors, []);
  },
);
