// The JSON schemas of platform and workload files, as data: scripts/gen-validators.mjs turns them into ajv's standalone validators (validators.generated.ts).
import { KERNEL_VERSIONS } from '@cspmu/kernel';
import { APMT_NODE_TYPES } from './apmt.js';

/** A number, or a string of decimal or 0x hex digits (JSON has no hex literals). */
export const NUMBERISH = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^(0[xX][0-9a-fA-F]{1,13}|[0-9]{1,16})$' },
  ],
} as const;

/** What a platform file may hold (ajv, allErrors, strict). */
export const PLATFORM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'cpus', 'pmus'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    description: { type: 'string' },
    workload: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }] },
    kernelVersion: { enum: [...KERNEL_VERSIONS] },
    cpus: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['sockets', 'coresPerSocket'],
          properties: { sockets: { type: 'integer', minimum: 1, maximum: 16 }, coresPerSocket: { type: 'integer', minimum: 1, maximum: 512 } },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['nodeOfCpu'],
          properties: { nodeOfCpu: { type: 'array', minItems: 1, maxItems: 4096, items: { type: 'integer', minimum: 0, maximum: 255 } } },
        },
      ],
    },
    pmus: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'label',
          'id',
          'type',
          'implementer',
          'product',
          'counters',
          'counterBits',
          'cycleCounter',
          'dualPage',
          'atomic64',
          'clockHz',
          'base0',
          'affinity',
        ],
        properties: {
          label: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' },
          id: { type: 'integer', minimum: 0, maximum: 0x7fffffff },
          type: { enum: [...APMT_NODE_TYPES] },
          instPrimary: { anyOf: [NUMBERISH, { type: 'string', pattern: '^[A-Z0-9_]{7,8}$' }] },
          instSecondary: { type: 'integer', minimum: 0, maximum: 0xffffffff },
          implementer: NUMBERISH,
          product: NUMBERISH,
          variant: { type: 'integer', minimum: 0, maximum: 15 },
          revision: { type: 'integer', minimum: 0, maximum: 15 },
          pmiidrZero: { type: 'boolean' },
          implId: NUMBERISH,
          counters: { type: 'integer' },
          counterBits: { type: 'integer' },
          cycleCounter: { type: 'boolean' },
          dualPage: { type: 'boolean' },
          atomic64: { type: 'boolean' },
          fzo: { type: 'boolean' },
          ext64: { type: 'boolean' },
          clockHz: { type: 'number', exclusiveMinimum: 0, maximum: 1e11 },
          base0: NUMBERISH,
          base1: NUMBERISH,
          irq: {
            type: 'object',
            additionalProperties: false,
            required: ['gsi', 'trigger'],
            properties: { gsi: { type: 'integer', minimum: 1, maximum: 65535 }, trigger: { enum: ['level', 'edge'] } },
          },
          affinity: {
            anyOf: [
              { type: 'object', additionalProperties: false, required: ['processor'], properties: { processor: { type: 'integer', minimum: 0 } } },
              { type: 'object', additionalProperties: false, required: ['container'], properties: { container: { type: 'integer', minimum: 0 } } },
            ],
          },
          accessLatencyNs: { type: 'integer', minimum: 0, maximum: 1000000 },
        },
      },
    },
  },
} as const;

const RATE = { type: 'number', minimum: 0, maximum: 1e13 } as const;
const FIELD = { type: 'string', minLength: 1, maxLength: 40 } as const;
const CONDITION = {
  type: 'object',
  additionalProperties: false,
  required: ['field'],
  minProperties: 2,
  maxProperties: 2,
  properties: { field: FIELD, equals: NUMBERISH, anyBit: NUMBERISH, noBit: NUMBERISH },
} as const;

/** What a workload file may hold (ajv, allErrors, strict). */
export const WORKLOAD_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'phases'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    repeat: { type: 'boolean' },
    phases: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['durationNs', 'streams'],
        properties: {
          name: { type: 'string' },
          durationNs: { type: 'integer', minimum: 1, maximum: 1e15 },
          streams: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['pmu', 'event'],
              properties: {
                pmu: { type: 'string', minLength: 1 },
                event: { anyOf: [...NUMBERISH.anyOf, { const: 'cycles' }] },
                rate: RATE,
                ports: { type: 'array', maxItems: 32, items: RATE },
                bits: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['field', 'rates'],
                  properties: { field: FIELD, rates: { type: 'array', maxItems: 32, items: RATE } },
                },
                values: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['field', 'rates'],
                  properties: {
                    field: FIELD,
                    rates: { type: 'object', maxProperties: 4096, propertyNames: NUMBERISH.anyOf[1], additionalProperties: RATE },
                    otherwise: RATE,
                  },
                },
                when: { type: 'array', maxItems: 8, items: CONDITION },
              },
            },
          },
        },
      },
    },
  },
} as const;
