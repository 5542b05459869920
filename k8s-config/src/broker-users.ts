import { find, type Manifest } from './manifests.js';

/** One role's broker rights as the manifests declare them. */
export interface BrokerGrant {
  /** The User object's name; its Secret is `<user>-user-credentials`. */
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
  tags: string[];
}

/** The Secret the Topology Operator generates for a User. */
export function credentialsSecret(user: string): string {
  return `${user}-user-credentials`;
}

/** Every Permission joined to its User; a Permission whose User is missing throws. */
export function brokerGrants(all: Manifest[]): BrokerGrant[] {
  return all
    .filter((m) => m.kind === 'Permission' && m.apiVersion === 'rabbitmq.com/v1beta1')
    .map((m) => {
      const user = m.body.spec.userReference?.name;
      const userObject = find(all, 'User', user);
      if (userObject === undefined) throw new Error(`${m.file}: no User ${user}`);
      const p = m.body.spec.permissions ?? {};
      return {
        user,
        vhost: m.body.spec.vhost,
        configure: p.configure ?? '',
        write: p.write ?? '',
        read: p.read ?? '',
        tags: userObject.body.spec.tags ?? [],
      };
    });
}

/**
 * Whether RabbitMQ would grant `pattern` on `name`. RabbitMQ matches with Erlang's `re` (PCRE);
 * the patterns used here are in the subset where JavaScript's RegExp agrees. An empty pattern
 * matches nothing, by RabbitMQ's own special case.
 */
export function grants(pattern: string, name: string): boolean {
  return pattern !== '' && new RegExp(pattern).test(name);
}
