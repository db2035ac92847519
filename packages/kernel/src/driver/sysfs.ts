// The emulated sysfs tree: attributes read as text and written through their store, and its export to a real directory.
import { mkdir, opendir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeValue, ERRNO, type ErrnoName, kerr } from '../base/errors.js';

/** A Node file-system error as the KernelError of its errno (EIO where the kernel has no such name). */
function fsError(e: unknown, what: string): never {
  const code = (e as NodeJS.ErrnoException).code;
  const name: ErrnoName = code !== undefined && code in ERRNO ? (code as ErrnoName) : 'EIO';
  throw kerr(name, `${what}: ${(e as Error).message}`);
}

/**
 * mkdir -p, one level at a time. Node's recursive mkdir never returns for a
 * path under a directory that refuses new entries with ENOENT (/proc/x/y):
 * here each level is tried once and the error names the path.
 */
async function makeDirs(dir: string): Promise<void> {
  const fail = (e: unknown): never => fsError(e, `cannot create directory '${dir}'`);
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

/**
 * Whether `dir`'s file system lists the newest entry first (tmpfs here does;
 * ext4 lists by a hash of its own, in no order an exporter can choose): two
 * probe directories are made and listed, then removed.
 */
async function readdirReversesCreation(dir: string): Promise<boolean> {
  const probe = join(dir, `.cspmu-order-probe-${process.pid}`);
  const fail = (e: unknown): never => fsError(e, `cannot export to '${dir}': probing the order it lists new entries in`);
  await mkdir(probe).catch(fail);
  try {
    await mkdir(join(probe, 'first'));
    await mkdir(join(probe, 'second'));
    // opendir reads in the file system's order (readdir() sorts by name).
    const listed: string[] = [];
    for await (const e of await opendir(probe)) listed.push(e.name);
    return listed.indexOf('second') < listed.indexOf('first');
  } catch (e) {
    return fail(e);
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
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

  /** The entry named by `path` from `start` to `end`, compared in place: a lookup in a small directory makes no string. */
  getAt(path: string, start: number, end: number): Entry | undefined {
    if (this.map !== undefined) return this.map.get(path.slice(start, end));
    const f = this.flat;
    const length = end - start;
    for (let i = 0; i < f.length; i += 2) {
      const name = f[i] as string;
      if (name.length === length && path.startsWith(name, start)) return f[i + 1] as Entry;
    }
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
}

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * Check a path (absolute, no '.' or '..' name) and return where its last
 * name ends (0 for the root). Paths are walked in place, name by name, so a
 * lookup makes no array and no string.
 */
function checkPath(path: string): number {
  if (typeof path !== 'string' || !path.startsWith('/')) throw kerr('EINVAL', `sysfs path ${describeValue(path)} must be absolute`);
  for (let i = 0; i < path.length; ) {
    let j = path.indexOf('/', i);
    if (j < 0) j = path.length;
    const n = j - i;
    if ((n === 1 || n === 2) && path.charCodeAt(i) === DOT && path.charCodeAt(j - 1) === DOT) {
      throw kerr('EINVAL', `sysfs path '${path}' may not contain '.' or '..'`);
    }
    i = j + 1;
  }
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === SLASH) end--;
  return end;
}

/** Where the last name of a checked path starts, given where it ends. */
function nameStart(path: string, end: number): number {
  return path.lastIndexOf('/', end - 1) + 1;
}

/** How walk() meets a file among the names it walks: as a miss, as ENOTDIR (what Linux's path lookup gives), or as EEXIST when it would make that directory. */
const FIND = 0;
const RESOLVE = 1;
const CREATE = 2;
type WalkMode = typeof FIND | typeof RESOLVE | typeof CREATE;

/** Linux's answer to a file's name followed by a slash, whether more names follow or not. */
function notADirectory(path: string, end: number): never {
  throw kerr('ENOTDIR', `sysfs: '${path.slice(0, end)}' is a file, not a directory, so '${path}' names nothing; drop the '/' after a file's name`);
}

/** Linux's answer to read() or write() of a directory. */
function isADirectory(path: string): never {
  throw kerr('EISDIR', `sysfs: '${path}' is a directory; read or write a file in it (list() shows them)`);
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
    const end = checkPath(path);
    if (end === 0) throw kerr('EINVAL', 'sysfs: cannot add an attribute at /');
    if (end < path.length) throw kerr('EINVAL', `sysfs: cannot add an attribute at '${path}': a file's name is not followed by '/'`);
    const start = nameStart(path, end);
    const name = path.slice(start, end);
    const dir = this.walk(path, start, CREATE)!;
    if (dir.has(name)) throw kerr('EEXIST', `sysfs: cannot create duplicate filename '${path}'`);
    dir.set(this.intern(name), attr);
  }

  /** Create a directory; EEXIST if it exists already. */
  mkdir(path: string): void {
    const end = checkPath(path);
    if (end === 0) throw kerr('EEXIST', 'sysfs: / exists');
    const start = nameStart(path, end);
    const name = path.slice(start, end);
    const parent = this.walk(path, start, CREATE)!;
    if (parent.has(name)) throw kerr('EEXIST', `sysfs: cannot create duplicate filename '${path}'`);
    parent.set(this.intern(name), new Dir());
  }

  exists(path: string): boolean {
    const end = checkPath(path);
    if (end === 0) return true;
    const start = nameStart(path, end);
    const e = this.walk(path, start, FIND)?.getAt(path, start, end);
    return e !== undefined && (end === path.length || e instanceof Dir);
  }

  /** Remove a file or a whole directory. */
  remove(path: string): void {
    const end = checkPath(path);
    const start = nameStart(path, end);
    const dir = end === 0 ? undefined : this.walk(path, start, RESOLVE);
    const e = dir?.getAt(path, start, end);
    if (!dir || !e) throw kerr('ENOENT', `sysfs: no such file '${path}'`);
    if (end < path.length && !(e instanceof Dir)) notADirectory(path, end);
    dir.delete(path.slice(start, end));
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
    const dir = this.walk(path, checkPath(path), RESOLVE);
    if (!dir) throw kerr('ENOENT', `sysfs: no such directory '${path}'`);
    return dir.names().sort();
  }

  /** Write the tree under `path` into a real directory, every attribute as a file. */
  async exportTo(path: string, target: string): Promise<number> {
    const dir = this.walk(path, checkPath(path), RESOLVE);
    if (!dir) throw kerr('ENOENT', `sysfs: no such directory '${path}'`);
    await makeDirs(target);
    // A reader that lists in readdir order should meet the directories in the order they were added.
    const reverse = await readdirReversesCreation(target);
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
      if (reverse) subs.reverse();
      for (const [name, sub] of subs) await rec(sub, join(out, name));
    };
    await rec(dir, target);
    return files;
  }

  private attr(path: string): SysfsAttribute {
    const end = checkPath(path);
    const start = nameStart(path, end);
    const e = end === 0 ? this.root : this.walk(path, start, RESOLVE)?.getAt(path, start, end);
    if (e === undefined) throw kerr('ENOENT', `sysfs: no such file '${path}'`);
    if (e instanceof Dir) isADirectory(path);
    if (end < path.length) notADirectory(path, end);
    return e;
  }

  /** The directory of the names in `path` before `limit`: made where missing with CREATE, else undefined; a file among them is as `mode` says. */
  private walk(path: string, limit: number, mode: WalkMode): Dir | undefined {
    let d = this.root;
    for (let i = 0; i < limit; ) {
      if (path.charCodeAt(i) === SLASH) {
        i++;
        continue;
      }
      let j = path.indexOf('/', i);
      if (j < 0) j = limit;
      const e = d.getAt(path, i, j);
      let next = e instanceof Dir ? e : undefined;
      if (!next) {
        if (e !== undefined && mode === RESOLVE) notADirectory(path, j);
        if (mode !== CREATE) return undefined;
        const s = path.slice(i, j);
        if (e !== undefined) throw kerr('EEXIST', `sysfs: '${s}' is a file, not a directory`);
        next = new Dir();
        d.set(this.intern(s), next);
      }
      d = next;
      i = j;
    }
    return d;
  }
}
