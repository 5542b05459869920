/**
 * The parts of the RabbitMQ Messaging Topology Operator's CRDs (rabbitmq.com/v1beta1, v1.15,
 * api/v1beta1/{user,permission,exchange,queue,binding,policy}_types.go) that k8s-config uses, as JSON schemas. No npm
 * package ships them. Unknown fields are rejected, so a misspelt one fails the test instead of
 * being pruned silently by the API server.
 */
const metadata = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
  additionalProperties: false,
} as const;

const clusterReference = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    namespace: { type: 'string' },
    connectionSecret: { type: 'object' },
  },
} as const;

const localReference = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1 } },
} as const;

function resource(kind: string, spec: object) {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    additionalProperties: false,
    properties: {
      apiVersion: { const: 'rabbitmq.com/v1beta1' },
      kind: { const: kind },
      metadata,
      spec,
    },
  };
}

export const TOPOLOGY_SCHEMAS: Record<string, object> = {
  User: resource('User', {
    type: 'object',
    required: ['rabbitmqClusterReference'],
    additionalProperties: false,
    properties: {
      tags: {
        type: 'array',
        items: { enum: ['management', 'policymaker', 'monitoring', 'administrator'] },
      },
      rabbitmqClusterReference: clusterReference,
      importCredentialsSecret: localReference,
    },
  }),
  Permission: resource('Permission', {
    type: 'object',
    required: ['vhost', 'permissions', 'rabbitmqClusterReference'],
    additionalProperties: false,
    properties: {
      user: { type: 'string' },
      userReference: localReference,
      vhost: { type: 'string', minLength: 1 },
      permissions: {
        type: 'object',
        additionalProperties: false,
        properties: {
          configure: { type: 'string' },
          write: { type: 'string' },
          read: { type: 'string' },
        },
      },
      rabbitmqClusterReference: clusterReference,
    },
    // The operator refuses a Permission naming neither a user nor a User object.
    anyOf: [
      { type: 'object', properties: { user: { type: 'string' } }, required: ['user'] },
      {
        type: 'object',
        properties: { userReference: localReference },
        required: ['userReference'],
      },
    ],
  }),
  Exchange: resource('Exchange', {
    type: 'object',
    required: ['name', 'rabbitmqClusterReference'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1 },
      vhost: { type: 'string' },
      type: { type: 'string' },
      durable: { type: 'boolean' },
      autoDelete: { type: 'boolean' },
      arguments: { type: 'object' },
      deletionPolicy: { enum: ['delete', 'retain'] },
      rabbitmqClusterReference: clusterReference,
    },
  }),
  Queue: resource('Queue', {
    type: 'object',
    required: ['name', 'rabbitmqClusterReference'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1 },
      vhost: { type: 'string' },
      type: { type: 'string' },
      durable: { type: 'boolean' },
      autoDelete: { type: 'boolean' },
      arguments: { type: 'object' },
      deleteIfEmpty: { type: 'boolean' },
      deleteIfUnused: { type: 'boolean' },
      deletionPolicy: { enum: ['delete', 'retain'] },
      rabbitmqClusterReference: clusterReference,
    },
  }),
  Binding: resource('Binding', {
    type: 'object',
    required: ['rabbitmqClusterReference'],
    additionalProperties: false,
    properties: {
      vhost: { type: 'string' },
      source: { type: 'string', minLength: 1 },
      destination: { type: 'string', minLength: 1 },
      destinationType: { enum: ['exchange', 'queue'] },
      routingKey: { type: 'string' },
      arguments: { type: 'object' },
      rabbitmqClusterReference: clusterReference,
    },
  }),
  Policy: resource('Policy', {
    type: 'object',
    required: ['name', 'pattern', 'definition', 'rabbitmqClusterReference'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1 },
      vhost: { type: 'string' },
      pattern: { type: 'string', minLength: 1 },
      applyTo: { enum: ['queues', 'classic_queues', 'quorum_queues', 'exchanges', 'all'] },
      priority: { type: 'integer' },
      // Free-form in the CRD (preserved unknown fields): RabbitMQ checks the keys when it applies it.
      definition: { type: 'object', minProperties: 1 },
      rabbitmqClusterReference: clusterReference,
    },
  }),
};
