/** Where `npm run build` put the C parts, and why they cannot be used when they cannot. */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');

export const NATIVE = {
  preload: join(NATIVE_DIR, 'libcspmu-preload.so'),
  ns: join(NATIVE_DIR, 'cspmu-ns'),
  peercred: join(NATIVE_DIR, 'cspmu-peercred'),
  perfOpenCheck: join(NATIVE_DIR, 'perf-open-check'),
  readLoop: join(NATIVE_DIR, 'read-loop'),
} as const;

/** Why the native parts are missing, or undefined when they are all there. */
export function nativeUnavailable(): string | undefined {
  for (const [what, path] of Object.entries(NATIVE)) {
    if (!existsSync(path)) return `${what} (${path}) was not built: no C compiler when \`npm run build\` ran? Install gcc (or set CC) and build again`;
  }
  return undefined;
}

/** The first directory on PATH holding an executable `name`. */
export function which(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const p = join(dir || '.', name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
