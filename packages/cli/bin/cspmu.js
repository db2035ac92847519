#!/usr/bin/env node
// The installed cspmu command: a fixed file, so npm links it at install time, before the build creates dist.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('cspmu: ENOENT: the command is not built yet; run npm run build (or npm start / npm test) first\n');
  process.exit(1);
}
await import(main);
