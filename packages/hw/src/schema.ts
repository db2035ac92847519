// JSON-schema validation for platform and workload files: the validators ajv generated from schemas.ts, numbers written as hex strings, and errors that name the bad fields.
import { kerr, listProblems } from '@cspmu/kernel';
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as generated from './validators.generated.js';

// ajv's standalone code, generated from schemas.ts by scripts/gen-validators.mjs: importing @cspmu/hw compiles no schema.
export const validatePlatform = generated.validatePlatform as unknown as ValidateFunction;
export const validateWorkload = generated.validateWorkload as unknown as ValidateFunction;

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') return `${where}: unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === 'required') return `${where}: missing field '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'enum')
    return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'anyOf') {
    const cycles = /\/streams\/\d+\/event$/.test(e.instancePath) ? ' or "cycles"' : '';
    return `${where}: must be a non-negative integer${cycles ? ',' : ' or'} a "0x…" string${cycles}`;
  }
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Validate `value` or throw EINVAL naming the bad fields (the first few, then how many more). */
export function validateOrThrow(validate: ValidateFunction, value: unknown, what: string): void {
  if (validate(value)) return;
  const all = validate.errors ?? [];
  const anyOfPaths = new Set(all.filter((o) => o.keyword === 'anyOf').map((o) => o.instancePath));
  // Under an anyOf, only the anyOf itself speaks: the failures of each alternative would just repeat it.
  const errs = all.filter((e) => e.keyword === 'anyOf' || !anyOfPaths.has(e.instancePath));
  const lines = [...new Set(errs.map(describe))];
  throw kerr('EINVAL', `${what}: ${listProblems(lines)}`);
}

/** Parse a NUMBERISH value (already schema-checked). */
export function toNumber(v: number | string, field: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw kerr('EINVAL', `${field}: ${v} is not a non-negative integer below 2^53`);
  return n;
}
