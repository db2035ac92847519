// Scanning a module root's node_modules for plugin manifests: odd entries are skipped with a warning, never fatal.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeThrown, type InstalledModule, isKernelError, readRegularTextFile } from '@cspmu/kernel';
import { checkManifest, MAX_MANIFEST_BYTES } from './manifest.js';

/** At most this many entries of a node_modules (scopes included) are looked at. */
export const MAX_ROOT_ENTRIES = 20000;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function list(dir: string, warn: (msg: string) => void): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    warn(`skipping ${dir}: ${describeThrown(e)}`);
    return [];
  }
}

/** The package names under node_modules: plain entries and one level inside `@scope` directories. */
function candidates(nm: string, warn: (msg: string) => void): string[] {
  const out: string[] = [];
  for (const entry of list(nm, warn)) {
    if (entry.startsWith('.')) continue;
    if (!entry.startsWith('@')) out.push(entry);
    else if (!isDirectory(join(nm, entry))) warn(`skipping ${join(nm, entry)}: a scope must be a directory`);
    else for (const sub of list(join(nm, entry), warn)) if (!sub.startsWith('.')) out.push(`${entry}/${sub}`);
    if (out.length > MAX_ROOT_ENTRIES) {
      warn(`${nm} holds more than ${MAX_ROOT_ENTRIES} packages; the rest are not scanned`);
      return out.slice(0, MAX_ROOT_ENTRIES);
    }
  }
  return out;
}

/** Read one package's manifest; undefined if it is not a plugin (no package.json, or no "cspmu" key). */
function readPackage(nm: string, packageName: string, warn: (msg: string) => void): InstalledModule | undefined {
  const dir = join(nm, packageName);
  const pj = join(dir, 'package.json');
  let text: string;
  try {
    text = readRegularTextFile(pj, { what: 'package.json', maxBytes: MAX_MANIFEST_BYTES });
  } catch (e) {
    if (!isKernelError(e, 'ENOENT')) warn(`skipping ${packageName}: ${describeThrown(e)}`);
    return undefined;
  }
  let json: { version?: unknown; cspmu?: unknown };
  try {
    json = JSON.parse(text);
  } catch (e) {
    warn(`skipping ${packageName}: its package.json is not JSON (${describeThrown(e)})`);
    return undefined;
  }
  if (typeof json !== 'object' || json === null || json.cspmu === undefined) return undefined;
  try {
    const manifest = checkManifest(json.cspmu, packageName);
    return { packageName, dir, version: typeof json.version === 'string' ? json.version : '0.0.0', manifest };
  } catch (e) {
    warn(`ignoring ${packageName}: ${describeThrown(e).replace(/^EINVAL: /, '')}`);
    return undefined;
  }
}

/** Every plugin package in `root`/node_modules, from package.json files alone (nothing is imported). */
export function scanRoot(root: string, warn: (msg: string) => void): InstalledModule[] {
  const nm = join(root, 'node_modules');
  if (!isDirectory(nm)) return [];
  const found: InstalledModule[] = [];
  for (const packageName of candidates(nm, warn)) {
    const m = readPackage(nm, packageName, warn);
    if (m) found.push(m);
  }
  return found;
}
