// The host's plugin catalog: module roots scanned once (cached per root), names checked, packages found by module or package name.
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type InstalledModule, kerr, listProblems, type PluginCatalog } from '@cspmu/kernel';
import { resolveEntry } from './entry.js';
import { checkModuleName } from './names.js';
import { scanRoot } from './scan.js';

export interface PluginDiscoveryOptions {
  /** Directories whose node_modules hold plugins (the workspace root, usually). Nothing outside is loaded. */
  readonly roots: readonly string[];
  /** Which plugin packages count as installed (default: every one found in the roots). */
  readonly installed?: (packageName: string) => boolean;
}

/** What a root's node_modules holds, by root (a cache of the filesystem, like a dentry cache; rescan() drops it). */
const scanCache = new Map<string, { found: InstalledModule[]; warnings: string[] }>();

/**
 * Entry files resolved, by scanned package and by the roots they were checked against: every
 * boot loads its plugins again, and resolving reads the package.json and stats the entry. A
 * rescan scans new package objects, so it drops these too; failures are never remembered.
 */
const entryCache = new WeakMap<InstalledModule, Map<string, string>>();

/** Plugins installed in module roots, found from their package.json manifests alone. */
export class PluginDiscovery implements PluginCatalog {
  private readonly roots: string[];
  /** The roots as one key of the entry cache, which every catalog of the process shares. */
  private readonly rootsKey: string;
  private scanned: InstalledModule[] | undefined;
  /** Plugins found in the roots but left out by the `installed` option. */
  private excluded = new Set<string>();

  constructor(private readonly options: PluginDiscoveryOptions) {
    if (!Array.isArray(options?.roots)) throw kerr('EINVAL', 'plugin discovery needs a list of module roots');
    this.roots = options.roots.map((r) => {
      if (typeof r !== 'string' || !isAbsolute(r)) throw kerr('EINVAL', `module root '${String(r)}' must be an absolute path`);
      return existsSync(r) ? realpathSync(r) : r;
    });
    this.rootsKey = this.roots.join('\0');
  }

  installed(warn: (msg: string) => void): readonly InstalledModule[] {
    if (this.scanned) return this.scanned;
    const found = new Map<string, InstalledModule>();
    for (const root of this.roots) {
      let scan = scanCache.get(root);
      if (!scan) {
        const warnings: string[] = [];
        scan = { found: scanRoot(root, (m) => warnings.push(m)), warnings };
        scanCache.set(root, scan);
      }
      for (const w of scan.warnings) warn(w);
      for (const m of scan.found) {
        if (found.has(m.packageName)) continue;
        if (this.options.installed && !this.options.installed(m.packageName)) {
          this.excluded.add(m.packageName).add(m.manifest.module);
          continue;
        }
        found.set(m.packageName, m);
      }
    }
    this.scanned = [...found.values()];
    return this.scanned;
  }

  find(name: unknown, warn: (msg: string) => void): InstalledModule {
    const checked = checkModuleName(name);
    const all = this.installed(warn);
    const pkg = all.find((m) => m.manifest.module === checked) ?? all.find((m) => m.packageName === checked);
    if (pkg) return pkg;
    if (this.excluded.has(checked))
      throw kerr('ENOENT', `module '${checked}' is in the module roots but not installed on this machine; add its package to the installed list`);
    for (const root of this.roots) {
      if (existsSync(join(root, 'node_modules', checked, 'package.json'))) {
        throw kerr('EINVAL', `package ${checked} is installed but is not a cspmu module (its package.json has no "cspmu" manifest)`);
      }
    }
    const known = all.map((m) => `${m.manifest.module} (${m.packageName})`);
    throw kerr(
      'ENOENT',
      `no installed module '${checked}' in ${this.roots.join(', ')}; install the package or check the name (installed: ${known.length ? listProblems(known) : 'none'})`,
    );
  }

  entryOf(pkg: InstalledModule): string {
    let byRoots = entryCache.get(pkg);
    const known = byRoots?.get(this.rootsKey);
    if (known !== undefined) return known;
    const entry = resolveEntry(pkg, this.roots);
    if (!byRoots) entryCache.set(pkg, (byRoots = new Map()));
    byRoots.set(this.rootsKey, entry);
    return entry;
  }

  rescan(): void {
    this.scanned = undefined;
    this.excluded = new Set();
    for (const r of this.roots) scanCache.delete(r);
  }
}
