import { API_KEY_ID_PATTERN, API_KEY_SCOPES, MODEL_NAME_PATTERN } from '@mlapi/contracts';

const limit = { type: ['integer', 'null'], minimum: 0, maximum: 1_000_000_000_000 } as const;

/** The fields an admin sets on a key (POST and PATCH /admin/keys). */
const keyFields = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  models: {
    type: 'array',
    minItems: 1,
    maxItems: 1000,
    uniqueItems: true,
    items: { anyOf: [{ const: '*' }, { type: 'string', pattern: MODEL_NAME_PATTERN }] },
  },
  scopes: {
    type: 'array',
    maxItems: API_KEY_SCOPES.length,
    uniqueItems: true,
    items: { type: 'string', enum: [...API_KEY_SCOPES] },
  },
  rate_limit_per_minute: limit,
  rows_per_day: limit,
  rows_per_month: limit,
  expires_at: { type: ['string', 'null'], maxLength: 40 },
  disabled: { type: 'boolean' },
} as const;

export const createKeyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: keyFields,
  'x-examples': {
    'predict-fast': {
      summary: 'A key that may call only the fast model, 60 requests a minute, 10 000 rows a day',
      value: {
        name: 'docs-example',
        models: ['fast'],
        scopes: ['predict'],
        rate_limit_per_minute: 60,
        rows_per_day: 10_000,
      },
    },
  },
} as const;

export const updateKeyBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: keyFields,
  'x-examples': {
    disable: {
      summary: 'Disable a key (every replica refuses it within 2 s)',
      value: { disabled: true },
    },
  },
} as const;

export const keyIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: API_KEY_ID_PATTERN } },
} as const;

/** A key as answered: never its secret or hash. */
export const keyView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    models: { type: 'array', items: { type: 'string' } },
    scopes: { type: 'array', items: { type: 'string' } },
    rate_limit_per_minute: { type: ['integer', 'null'] },
    rows_per_day: { type: ['integer', 'null'] },
    rows_per_month: { type: ['integer', 'null'] },
    expires_at: { type: ['string', 'null'] },
    disabled: { type: 'boolean' },
    created_at: { type: 'string' },
    last_used_at: { type: ['string', 'null'] },
  },
} as const;

export const createdKey = {
  ...keyView,
  properties: {
    ...keyView.properties,
    key: { type: 'string', description: 'The whole key; shown this once, never again' },
  },
} as const;

const window = {
  type: 'object',
  properties: {
    limit: { type: ['integer', 'null'] },
    used: { type: 'integer' },
    remaining: { type: ['integer', 'null'] },
    resets_at: { type: 'string' },
  },
} as const;

/** GET /v1/usage: the caller's limits, use and what is left in each window. */
export const usageView = {
  type: 'object',
  properties: {
    key_id: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
    scopes: { type: 'array', items: { type: 'string' } },
    models: { type: 'array', items: { type: 'string' } },
    requests: window,
    rows_today: window,
    rows_this_month: window,
  },
} as const;
