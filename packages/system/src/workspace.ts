// Finding the workspace root above this package, where plugin packages are installed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Roots found, by the directory searched from: every boot asks, and walking up reads a package.json per level. */
const found = new Map<string, string>();

/** The nearest directory above this package whose package.json declares workspaces (where plugins are installed). */
export function workspaceRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  const known = found.get(from);
  if (known !== undefined) return known;
  let dir = from;
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).workspaces) {
          found.set(from, dir);
          return dir;
        }
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    // No workspace above: the current directory, which may change, so it is not remembered.
    if (up === dir) return process.cwd();
    dir = up;
  }
}
