// The emulated sysfs tree: attributes read as text and written through their store, and its export to a real directory.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kerr } from '../base/errors.js';

/** A sysfs attribute: text produced when read, optionally accepting writes. */
export interface SysfsAttribute {
  show(): string;
  /** The show as a read() runs it, where it may sleep (inside whatever read section keeps its object alive). */
  showAsync?(): Promise<string>;
  store?(value: string): void;
}

interface Dir {
  readonly dirs: Map<string, Dir>;
  readonly attrs: Map<string, SysfsAttribute>;
}

const newDir = (): Dir => ({ dirs: new Map(), attrs: new Map() });

function parts(path: string): string[] {
  if (typeof path !== 'string' || !path.startsWith('/')) throw kerr('EINVAL', `sysfs path '${path}' must be absolute`);
  const p = path.split('/').filter((s) => s !== '');
  for (const s of p) if (s === '.' || s === '..') throw kerr('EINVAL', `sysfs path '${path}' may not contain '.' or '..'`);
  return p;
}

/** The machine's sysfs: directories of attributes whose contents are computed when read. */
export class Sysfs {
  private readonly root = newDir();

  /** Create an attribute; EEXIST if one is there (the "duplicate filename" of the real sysfs). */
  add(path: string, attr: SysfsAttribute): void {
    const p = parts(path);
    const name = p.pop();
    if (!name) throw kerr('EINVAL', 'sysfs: cannot add an attribute at /');
    const dir = this.walk(p, true)!;
    if (dir.attrs.has(name) || dir.dirs.has(name)) throw kerr('EEXIST', `sysfs: cannot create duplicate filename '${path}'`);
    dir.attrs.set(name, attr);
  }

  /** Create a directory; EEXIST if it exists already. */
  mkdir(path: string): void {
    const p = parts(path);
    const name = p.pop();
    if (!name) throw kerr('EEXIST', 'sysfs: / exists');
    const parent = this.walk(p, true)!;
    if (parent.dirs.has(name) || parent.attrs.has(name)) throw kerr('EEXIST', `sysfs: cannot create duplicate filename '${path}'`);
    parent.dirs.set(name, newDir());
  }

  exists(path: string): boolean {
    const p = parts(path);
    const name = p.pop();
    if (!name) return true;
    const dir = this.walk(p, false);
    return !!dir && (dir.dirs.has(name) || dir.attrs.has(name));
  }

  /** Remove a file or a whole directory. */
  remove(path: string): void {
    const p = parts(path);
    const name = p.pop();
    const dir = name ? this.walk(p, false) : undefined;
    if (!dir || !name || !(dir.dirs.delete(name) || dir.attrs.delete(name))) throw kerr('ENOENT', `sysfs: no such file '${path}'`);
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
    a.store(value);
  }

  /** Names in a directory: subdirectories and attributes, sorted. */
  list(path: string): string[] {
    const dir = this.walk(parts(path), false);
    if (!dir) throw kerr('ENOENT', `sysfs: no such directory '${path}'`);
    return [...dir.dirs.keys(), ...dir.attrs.keys()].sort();
  }

  /** Write the tree under `path` into a real directory, every attribute as a file. */
  async exportTo(path: string, target: string): Promise<number> {
    const dir = this.walk(parts(path), false);
    if (!dir) throw kerr('ENOENT', `sysfs: no such directory '${path}'`);
    let files = 0;
    const rec = async (d: Dir, out: string): Promise<void> => {
      await mkdir(out, { recursive: true });
      for (const [name, a] of d.attrs) {
        await writeFile(join(out, name), a.show());
        files++;
      }
      for (const [name, sub] of d.dirs) await rec(sub, join(out, name));
    };
    await rec(dir, target);
    return files;
  }

  private attr(path: string): SysfsAttribute {
    const p = parts(path);
    const name = p.pop();
    const a = name ? this.walk(p, false)?.attrs.get(name) : undefined;
    if (!a) throw kerr('ENOENT', `sysfs: no such file '${path}'`);
    return a;
  }

  private walk(p: string[], create: boolean): Dir | undefined {
    let d = this.root;
    for (const s of p) {
      let next = d.dirs.get(s);
      if (!next) {
        if (!create) return undefined;
        if (d.attrs.has(s)) throw kerr('EEXIST', `sysfs: '${s}' is a file, not a directory`);
        next = newDir();
        d.dirs.set(s, next);
      }
      d = next;
    }
    return d;
  }
}
