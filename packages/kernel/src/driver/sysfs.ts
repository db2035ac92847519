// The emulated sysfs tree: attributes read as text and written through their store, and its export to a real directory.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeValue, ERRNO, type ErrnoName, kerr } from '../base/errors.js';

/**
 * mkdir -p, one level at a time. Node's recursive mkdir never returns for a
 * path under a directory that refuses new entries with ENOENT (/proc/x/y):
 * here each level is tried once and the error names the path.
 */
async function makeDirs(dir: string): Promise<void> {
  const fail = (e: unknown): never => {
    const code = (e as NodeJS.ErrnoException).code;
    const name: ErrnoName = code !== undefined && code in ERRNO ? (code as ErrnoName) : 'EIO';
    throw kerr(name, `cannot create directory '${dir}': ${(e as Error).message}`);
  };
  try {
    await mkdir(dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await stat(dir)).isDirectory()) return;
      throw kerr('EEXIST', `cannot export to '${dir}': it exists and is not a directory`);
    }
    if (code !== 'ENOENT' || dirname(dir) === dir) fail(e);
  }
  await makeDirs(dirname(dir));
  await mkdir(dir).catch(fail);
}

/** A sysfs attribute: text produced when read, optionally accepting writes. */
export interface SysfsAttribute {
  show(): string;
  /** The show as a read() runs it, where it may sleep (inside whatever read section keeps its object alive). */
  showAsync?(): Promise<string>;
  store?(value: string): void;
}

type Entry = Dir | SysfsAttribute;

/** Entries a directory keeps in a flat array before it takes a map: most directories are small (a PMU's has seven). */
const SMALL_DIR = 8;
const NO_ENTRIES: readonly (string | Entry)[] = [];

/**
 * A directory: names to subdirectories and attributes. A small one keeps
 * them in one exactly sized array of name, entry, name, entry (a map and its
 * table cost about 300 bytes, and every bound PMU has three directories); a
 * larger one moves them to a map, so lookups in a directory of thousands of
 * devices stay O(1).
 */
class Dir {
  private flat: readonly (string | Entry)[] = NO_ENTRIES;
  private map: Map<string, Entry> | undefined;

  get(name: string): Entry | undefined {
    if (this.map !== undefined) return this.map.get(name);
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) if (f[i] === name) return f[i + 1] as Entry;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Add an entry under a name not in the directory. */
  set(name: string, e: Entry): void {
    if (this.map !== undefined) {
      this.map.set(name, e);
      return;
    }
    const f = this.flat;
    if (f.length < 2 * SMALL_DIR) {
      const next = new Array<string | Entry>(f.length + 2);
      for (let i = 0; i < f.length; i++) next[i] = f[i]!;
      next[f.length] = name;
      next[f.length + 1] = e;
      this.flat = next;
      return;
    }
    this.map = new Map(this.entries());
    this.map.set(name, e);
    this.flat = NO_ENTRIES;
  }

  delete(name: string): boolean {
    if (this.map !== undefined) return this.map.delete(name);
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) {
      if (f[i] === name) {
        this.flat = f.length === 2 ? NO_ENTRIES : [...f.slice(0, i), ...f.slice(i + 2)];
        return true;
      }
    }
    return false;
  }

  names(): string[] {
    if (this.map !== undefined) return [...this.map.keys()];
    return this.flat.filter((_, i) => i % 2 === 0) as string[];
  }

  *entries(): IterableIterator<[string, Entry]> {
    if (this.map !== undefined) {
      yield* this.map;
      return;
    }
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) yield [f[i] as string, f[i + 1] as Entry];
  }

  dir(name: string): Dir | undefined {
    const e = this.get(name);
    return e instanceof Dir ? e : undefined;
  }

  attr(name: string): SysfsAttribute | undefined {
    const e = this.get(name);
    return e === undefined || e instanceof Dir ? undefined : e;
  }
}

function parts(path: string): string[] {
  if (typeof path !== 'string' || !path.startsWith('/')) throw kerr('EINVAL', `sysfs path ${describeValue(path)} must be absolute`);
  const p = path.split('/').filter((s) => s !== '');
  for (const s of p) if (s === '.' || s === '..') throw kerr('EINVAL', `sysfs path '${path}' may not contain '.' or '..'`);
  return p;
}

/** The machine's sysfs: directories of attributes whose contents are computed when read. */
export class Sysfs {
  private readonly root = new Dir();
  /**
   * One copy of each entry name: every PMU directory repeats the same file
   * names, and a name split from a path would otherwise be a slice that
   * keeps the whole path string alive.
   */
  private readonly names = new Map<string, string>();

  private intern(name: string): string {
    let kept = this.names.get(name);
    if (kept === undefined) this.names.set(name, (kept = name));
    return kept;
  }

  /** Create an attribute; EEXIST if one is there (the "duplicate filename" of the real sysfs). */
  add(path: string, attr: SysfsAttribute): void {
    const p = parts(path);
    const name = p.pop();
    if (!name) throw kerr('EINVAL', 'sysfs: cannot add an attribute at /');
    const dir = this.walk(p, true)!;
    if (dir.has(name)) throw kerr('EEXIST', `sysfs: cannot create duplicate filename '${path}'`);
    dir.set(this.intern(name), attr);
  }

  /** Create a directory; EEXIST if it exists already. */
  mkdir(path: string): void {
    const p = parts(path);
    const name = p.pop();
    if (!name) throw kerr('EEXIST', 'sysfs: / exists');
    const parent = this.walk(p, true)!;
    if (parent.has(name)) throw kerr('EEXIST', `sysfs: cannot create duplicate filename '${path}'`);
    parent.set(this.intern(name), new Dir());
  }

  exists(path: string): boolean {
    const p = parts(path);
    const name = p.pop();
    if (!name) return true;
    const dir = this.walk(p, false);
    return !!dir && dir.has(name);
  }

  /** Remove a file or a whole directory. */
  remove(path: string): void {
    const p = parts(path);
    const name = p.pop();
    const dir = name ? this.walk(p, false) : undefined;
    if (!dir || !name || !dir.delete(name)) throw kerr('ENOENT', `sysfs: no such file '${path}'`);
  }

  read(path: string): string {
    return this.attr(path).show();
  }

  /** read() of the file as a task does it: the show may sleep, and other tasks run meanwhile. */
  readAsync(path: string): Promise<string> {
    const a = this.attr(path);
    return a.showAsync ? a.showAsync() : Promise.resolve(a.show());
  }

  write(path: string, value: string): void {
    const a = this.attr(path);
    if (!a.store) throw kerr('EACCES', `sysfs: '${path}' is read-only`);
    if (typeof value !== 'string') throw kerr('EINVAL', `sysfs: a write to '${path}' is text, got ${describeValue(value)}`);
    a.store(value);
  }

  /** Names in a directory: subdirectories and attributes, sorted. */
  list(path: string): string[] {
    const dir = this.walk(parts(path), false);
    if (!dir) throw kerr('ENOENT', `sysfs: no such directory '${path}'`);
    return dir.names().sort();
  }

  /** Write the tree under `path` into a real directory, every attribute as a file. */
  async exportTo(path: string, target: string): Promise<number> {
    const dir = this.walk(parts(path), false);
    if (!dir) throw kerr('ENOENT', `sysfs: no such directory '${path}'`);
    let files = 0;
    const rec = async (d: Dir, out: string): Promise<void> => {
      await makeDirs(out);
      const subs: [string, Dir][] = [];
      for (const [name, e] of d.entries()) {
        if (e instanceof Dir) subs.push([name, e]);
        else {
          await writeFile(join(out, name), e.show());
          files++;
        }
      }
      for (const [name, sub] of subs) await rec(sub, join(out, name));
    };
    await rec(dir, target);
    return files;
  }

  private attr(path: string): SysfsAttribute {
    const p = parts(path);
    const name = p.pop();
    const a = name ? this.walk(p, false)?.attr(name) : undefined;
    if (!a) throw kerr('ENOENT', `sysfs: no such file '${path}'`);
    return a;
  }

  private walk(p: string[], create: boolean): Dir | undefined {
    let d = this.root;
    for (const s of p) {
      let next = d.dir(s);
      if (!next) {
        if (!create) return undefined;
        if (d.has(s)) throw kerr('EEXIST', `sysfs: '${s}' is a file, not a directory`);
        next = new Dir();
        d.set(this.intern(s), next);
      }
      d = next;
    }
    return d;
  }
}
