/**
 * The part of the RabbitmqCluster CRD (rabbitmq.com/v1beta1, cluster-operator v2.x,
 * config/crd/bases/rabbitmq.com_rabbitmqclusters.yaml) that k8s-config uses, as a JSON schema. No
 * npm package ships it. Unlike the API server, which prunes unknown fields silently, this schema
 * rejects them, so a misspelt field fails the test instead of vanishing. Embedded core types
 * (resources, affinity) are checked with kubernetes-models' own validators (see kube-schemas.ts).
 */
const quantity = {
  anyOf: [
    { type: 'integer' },
    {
      type: 'string',
      pattern:
        '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
    },
  ],
};

export const RABBITMQ_CLUSTER_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'rabbitmq.com/v1beta1' },
    kind: { const: 'RabbitmqCluster' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
        namespace: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
      additionalProperties: false,
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        replicas: { type: 'integer', minimum: 0 },
        image: { type: 'string' },
        imagePullSecrets: { type: 'array', items: { type: 'object' } },
        service: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { enum: ['ClusterIP', 'LoadBalancer', 'NodePort'] },
            annotations: { type: 'object', additionalProperties: { type: 'string' } },
            ipFamilyPolicy: { enum: ['SingleStack', 'PreferDualStack', 'RequireDualStack'] },
          },
        },
        persistence: {
          type: 'object',
          additionalProperties: false,
          properties: { storage: quantity, storageClassName: { type: 'string' } },
        },
        resources: { type: 'object' },
        affinity: { type: 'object' },
        tolerations: { type: 'array', items: { type: 'object' } },
        rabbitmq: {
          type: 'object',
          additionalProperties: false,
          properties: {
            additionalConfig: { type: 'string', maxLength: 100000 },
            additionalPlugins: {
              type: 'array',
              maxItems: 100,
              items: { type: 'string', pattern: '^\\w+$' },
            },
            advancedConfig: { type: 'string', maxLength: 100000 },
            envConfig: { type: 'string', maxLength: 100000 },
            erlangInetConfig: { type: 'string', maxLength: 2000 },
          },
        },
        tls: { type: 'object' },
        override: { type: 'object' },
        terminationGracePeriodSeconds: { type: 'integer', minimum: 0 },
        skipPostDeploySteps: { type: 'boolean' },
        delayStartSeconds: { type: 'integer', minimum: 0 },
        autoEnableAllFeatureFlags: { type: 'boolean' },
        secretBackend: { type: 'object' },
      },
    },
  },
} as const;
