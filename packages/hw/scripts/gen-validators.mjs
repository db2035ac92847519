// Writes src/validators.generated.ts: ajv's standalone validators for the platform and workload schemas (src/schemas.ts, read from dist), so importing @cspmu/hw compiles no schema.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';

/** Where the generated module lives, beside the schemas it comes from. */
export const GENERATED = fileURLToPath(new URL('../src/validators.generated.ts', import.meta.url));

/** The generated module's text for the schemas as the built dist/src/schemas.js has them; the options are the ones the errors are worded for. */
export async function validatorsSource() {
  const { PLATFORM_SCHEMA, WORKLOAD_SCHEMA } = await import('../dist/src/schemas.js');
  const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true } });
  ajv.addSchema(PLATFORM_SCHEMA, 'platform').addSchema(WORKLOAD_SCHEMA, 'workload');
  const code = (standalone.default ?? standalone)(ajv, { validatePlatform: 'platform', validateWorkload: 'workload' });
  return [
    '// The platform and workload validators: ajv standalone code generated from src/schemas.ts by scripts/gen-validators.mjs (npm run gen:validators); do not edit.',
    '// @ts-nocheck',
    "import { createRequire } from 'node:module';",
    '',
    "// The code requires ajv's CommonJS runtime helpers (the string length in code points).",
    'const require = createRequire(import.meta.url);',
    code.replace(/^"use strict";/, ''),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(GENERATED, await validatorsSource());
  process.stdout.write(`wrote ${GENERATED}\n`);
}
