// A plugin package's entry file: from its package.json exports/main, and never outside the module roots.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { describeThrown, fileKind, type InstalledModule, kerr, readRegularTextFile } from '@cspmu/kernel';
import { MAX_MANIFEST_BYTES } from './manifest.js';

export function inside(child: string, parent: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

function entryField(json: { exports?: unknown; main?: unknown }): unknown {
  let rel: unknown = json.main ?? 'index.js';
  const ex = json.exports as Record<string, unknown> | string | undefined;
  if (typeof ex === 'string') rel = ex;
  else if (ex && typeof ex === 'object') {
    const dot = (Object.hasOwn(ex, '.') ? ex['.'] : ex) as Record<string, unknown> | string;
    rel = typeof dot === 'string' ? dot : dot && typeof dot === 'object' ? (dot['import'] ?? dot['default']) : undefined;
    if (rel && typeof rel === 'object') rel = (rel as Record<string, unknown>)['default'];
  }
  return rel;
}

/** The real path of the file to import for `pkg`; EACCES if it leaves the roots or the package, EINVAL/ENOENT if it is not there. */
export function resolveEntry(pkg: InstalledModule, roots: readonly string[]): string {
  let dir: string;
  try {
    dir = realpathSync(pkg.dir);
  } catch (e) {
    throw kerr('ENOENT', `module ${pkg.packageName}: ${describeThrown(e)}`, e);
  }
  if (!roots.some((r) => inside(dir, r))) throw kerr('EACCES', `module ${pkg.packageName} resolves to ${dir}, outside the module roots`);
  let json: { exports?: unknown; main?: unknown };
  try {
    json = JSON.parse(readRegularTextFile(join(dir, 'package.json'), { what: `${pkg.packageName}'s package.json`, maxBytes: MAX_MANIFEST_BYTES }));
  } catch (e) {
    throw kerr('EINVAL', `module ${pkg.packageName}: cannot read its package.json: ${describeThrown(e)}`, e);
  }
  const rel = typeof json === 'object' && json !== null ? entryField(json) : undefined;
  if (typeof rel !== 'string') throw kerr('EINVAL', `module ${pkg.packageName}: cannot find its entry point in package.json`);
  const entry = join(dir, rel);
  if (!existsSync(entry)) throw kerr('ENOENT', `module ${pkg.packageName}: entry ${rel} does not exist (is the package built?)`);
  const real = realpathSync(entry);
  if (!inside(real, dirname(join(dir, 'package.json')))) throw kerr('EACCES', `module ${pkg.packageName}: entry ${rel} escapes the package directory`);
  // The import would block on a FIFO or read a device forever: only a regular file is imported.
  const st = statSync(real);
  if (!st.isFile()) throw kerr('EINVAL', `module ${pkg.packageName}: entry ${rel} is ${fileKind(st)}, not a regular file`);
  return real;
}
