// Saves a screenshot of each console page, and of /docs, into docs/screenshots/ (the README
// shows them). The stack is real: the built gateway and a worker per model on a vhost of their
// own, with traffic sent while the pages are open so the charts have something to show. Pages
// whose routes this gateway does not serve are skipped, and said so.
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DESKTOP, launch, openPage, PHONE } from '../test/helpers/browser.js';
import { Cleanup, ROOT, servedRoutes, startStack } from '../test/helpers/stack.js';

const OUT = join(ROOT, 'docs', 'screenshots');
const say = (text: string) => process.stdout.write(`[screenshots] ${text}\n`);

const cleanup = new Cleanup();
let failed = false;
try {
  await mkdir(OUT, { recursive: true });
  say('starting the gateway and a worker per model on a private vhost…');
  // A pepper makes the gateway serve the key routes (AUTH stays off), so the Keys page is shown;
  // its keys go to a state directory of the run's own, not the checkout's.
  const { gateway } = await startStack(cleanup, {
    API_KEY_PEPPER: 'screenshots-pepper-0123456789abcdef0123',
    STATE_DIR: join(tmpdir(), `mlapi-screenshots-${process.pid}`),
  });
  const base = gateway.url;
  const routes = [...(await servedRoutes(base))];
  const has = (re: RegExp) => routes.some((r) => re.test(r));

  // Traffic for the charts: a mix of new rows, repeats (cache hits) and a few bad rows (400s).
  let sending = true;
  const traffic = (async () => {
    const models = ['fast', 'fast', 'fast', 'intermediate', 'intermediate', 'slow'];
    for (let i = 0; sending; i++) {
      const model = models[i % models.length] as string;
      const row =
        i % 4 === 0
          ? [5.1, 3.5, 1.4, 0.2]
          : [4 + (i % 40) / 10, 3, 1 + (i % 50) / 10, (i % 25) / 10];
      const body = { model_name: model, input_data: i % 97 === 0 ? [[1, 2]] : [row] };
      await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();

  const browser = await launch();
  cleanup.add(() => browser.close());
  const shot = async (
    name: string,
    url: string,
    viewport: { width: number; height: number },
    ready: (page: import('playwright-core').Page) => Promise<void>,
  ) => {
    const w = await openPage(browser, viewport);
    await w.page.goto(url);
    await ready(w.page);
    const path = join(OUT, `${name}.png`);
    await w.page.screenshot({ path, fullPage: name !== 'docs' });
    if (w.errors.length > 0) {
      failed = true;
      say(`${name}: errors in the browser console:\n  ${w.errors.join('\n  ')}`);
    }
    say(`saved ${path}`);
    await w.close();
  };

  say('sending traffic for 40 s so the charts fill…');
  await new Promise((resolve) => setTimeout(resolve, 40_000));
  await shot('models', `${base}/console/#/models`, DESKTOP, async (page) => {
    await page.locator('.card canvas').first().waitFor();
    await page.waitForTimeout(2500);
  });
  await shot('models-phone', `${base}/console/#/models`, PHONE, async (page) => {
    await page.locator('.card canvas').first().waitFor();
    await page.waitForTimeout(2500);
  });
  await shot('try-it', `${base}/console/#/try`, DESKTOP, async (page) => {
    await page.getByLabel('Model').locator('option').nth(2).waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.getByTestId('answered-by').waitFor();
  });
  await shot('docs', `${base}/docs`, DESKTOP, async (page) => {
    await page.locator('.opblock').first().waitFor();
  });
  const optional: [string, RegExp, string][] = [
    ['traffic', /^PUT \/admin\/models\/\{\w+\}\/traffic$/, 'traffic'],
    ['keys', /^POST \/admin\/keys$/, 'keys'],
    ['jobs', /^POST \/v1\/jobs$/, 'jobs'],
  ];
  for (const [name, route, hash] of optional) {
    if (!has(route)) {
      say(`skipped ${name}: this gateway does not serve ${route.source.replaceAll('\\', '')}`);
      continue;
    }
    await shot(name, `${base}/console/#/${hash}`, DESKTOP, async (page) => {
      await page.waitForFunction(() => !/Loading/.test(document.body.textContent ?? ''));
    });
  }
  sending = false;
  await traffic;
} catch (err) {
  failed = true;
  say(`failed: ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  await cleanup.run();
}
process.exit(failed ? 1 : 0);
