import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { parseAllDocuments } from 'yaml';
import { ROOT, rabbitmqctl, unique } from './stack.js';

/** configure, write and read patterns, as `rabbitmqctl set_permissions` takes them. */
export type Grant = readonly [configure: string, write: string, read: string];

/**
 * The patterns a Permission object of the k8s manifests grants `user`: the tests create the very
 * users the cluster gets, so a manifest that grants too little fails here, on a real broker.
 */
export async function manifestGrant(file: string, user: string): Promise<Grant> {
  const docs = parseAllDocuments(await readFile(join(ROOT, file), 'utf8'));
  for (const doc of docs) {
    const body = doc.toJS();
    if (body?.kind !== 'Permission' || body.spec?.userReference?.name !== user) continue;
    const p = body.spec.permissions ?? {};
    return [p.configure ?? '', p.write ?? '', p.read ?? ''];
  }
  throw new Error(`no Permission for ${user} in ${file}`);
}

/** A vhost of the test's own with `guest` as its administrator (the operator's role). */
export async function adminVhost(t: Test): Promise<{ vhost: string; adminUrl: string }> {
  const vhost = unique('lp');
  await rabbitmqctl(['add_vhost', vhost]);
  t.teardown(() => rabbitmqctl(['delete_vhost', vhost]).then(() => undefined));
  await rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  return { vhost, adminUrl: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}` };
}

/**
 * A broker user with no tags and exactly `grant` on `vhost`, deleted at teardown. Returns its
 * URL; the password is random and URL-safe.
 */
export async function roleUser(
  t: Test,
  vhost: string,
  role: string,
  grant: Grant,
  host = '127.0.0.1:5672',
  scheme = 'amqp',
): Promise<string> {
  const user = unique(`lp-${role}`);
  const password = randomBytes(18).toString('base64url');
  await rabbitmqctl(['add_user', user, password]);
  t.teardown(() => rabbitmqctl(['delete_user', user]).then(() => undefined));
  await rabbitmqctl(['set_permissions', '-p', vhost, user, ...grant]);
  return `${scheme}://${user}:${password}@${host}/${encodeURIComponent(vhost)}`;
}
