// Ports for the tests' child servers (gateways, forwarders), handed out from 37100-37999.
//
// Asking the kernel for a free port (listen on 0, close, hand the number to a child) races:
// between the close and the child's bind, any process's outgoing connection may take that port
// as its source port, or another test may be handed the same number; the child then dies with
// EADDRINUSE. This block lies inside the range .ci/run reserves from ephemeral use, so only an
// explicit bind can take one of its ports, and each port handed out is first claimed by a file
// created exclusively under the temp folder, so no two test processes are handed the same one.
// (loadtest/test/locust.test.ts uses 37000-37099; the fixed-port tests use 38000-38099.)
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIRST = 37_100;
const LAST = 37_999;
const CLAIMS = join(tmpdir(), 'mlapi-test-ports');
// A claim outlives its process only if that process was killed; after this long it is stale.
const STALE_MS = 60 * 60 * 1000;
const claimed = new Set();

process.once('exit', () => {
  for (const path of claimed) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  }
});

/** True when this process created the claim file for `port` (a stale one is taken over). */
function claim(port) {
  const path = join(CLAIMS, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      closeSync(openSync(path, 'wx'));
      claimed.add(path);
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(path).mtimeMs < STALE_MS) return false;
        unlinkSync(path);
      } catch {
        // Released meanwhile: try again.
      }
    }
  }
  return false;
}

function bindable(port) {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that nothing listens on and no other test process has been handed. */
export async function freePort() {
  await mkdir(CLAIMS, { recursive: true });
  const span = LAST - FIRST + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = FIRST + ((start + i) % span);
    if (claim(port) && (await bindable(port))) return port;
  }
  throw new Error(`no free port in ${FIRST}-${LAST} (claims under ${CLAIMS})`);
}
