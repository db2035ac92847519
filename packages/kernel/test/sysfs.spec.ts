// Tests of the sysfs tree: files and directories share one namespace per directory, and neither stands in for the other.
import { expect } from 'chai';
import { KernelError, Sysfs } from '../src/index.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelError) return e.message; // "ERRNO: what was wrong"
    throw e;
  }
  return 'no error';
}

describe('sysfs: files and directories', () => {
  it('lists files and subdirectories of a directory together, sorted', () => {
    const fs = new Sysfs();
    fs.mkdir('/d');
    fs.add('/d/b', { show: () => 'b\n' });
    fs.mkdir('/d/a');
    fs.add('/d/a/x', { show: () => 'x\n' });
    fs.add('/d/c', { show: () => 'c\n' });
    expect(fs.list('/d')).to.deep.equal(['a', 'b', 'c']);
    expect(fs.read('/d/a/x')).to.equal('x\n');
    expect(fs.exists('/d/a')).to.equal(true);
    expect(fs.exists('/d/b')).to.equal(true);
  });

  it("a directory is not a file: reading or writing one is Linux's EISDIR, a missing name ENOENT", () => {
    const fs = new Sysfs();
    fs.mkdir('/d');
    fs.mkdir('/d/sub');
    expect(code(() => fs.read('/d/sub'))).to.equal("EISDIR: sysfs: '/d/sub' is a directory; read or write a file in it (list() shows them)");
    expect(code(() => fs.read('/d/sub/'))).to.match(/^EISDIR: sysfs: '\/d\/sub\/' is a directory/);
    expect(code(() => fs.write('/d/sub', '1'))).to.match(/^EISDIR: /);
    expect(code(() => fs.read('/'))).to.match(/^EISDIR: sysfs: '\/' is a directory/);
    expect(code(() => fs.read('/d/none'))).to.equal("ENOENT: sysfs: no such file '/d/none'");
    expect(code(() => fs.read('/none/x'))).to.equal("ENOENT: sysfs: no such file '/none/x'");
  });

  it('a file is not a directory: nothing can be made under it, and names clash across kinds', () => {
    const fs = new Sysfs();
    fs.add('/d/f', { show: () => 'f\n' });
    expect(code(() => fs.add('/d/f/g', { show: () => '' }))).to.match(/^EEXIST: .*'f' is a file, not a directory/);
    expect(code(() => fs.mkdir('/d/f'))).to.match(/^EEXIST: .*duplicate filename '\/d\/f'/);
    fs.mkdir('/d/e');
    expect(code(() => fs.add('/d/e', { show: () => '' }))).to.match(/^EEXIST: .*duplicate filename '\/d\/e'/);
    expect(code(() => fs.list('/d/f'))).to.match(/^ENOTDIR: sysfs: '\/d\/f' is a file, not a directory/);
    expect(code(() => fs.list('/d/none'))).to.match(/^ENOENT: sysfs: no such directory '\/d\/none'/);
    fs.remove('/d/e');
    expect(fs.list('/d')).to.deep.equal(['f']);
  });
});

describe('sysfs: small and large directories', () => {
  // A directory keeps up to eight entries in a flat array and moves them to a map at the ninth: both forms must behave alike.
  for (const n of [1, 3, 8, 9, 20]) {
    it(`a directory of ${n} entries finds, refuses duplicates of, lists and removes each one, in any order`, () => {
      const fs = new Sysfs();
      const names = Array.from({ length: n }, (_, i) => `f${String(i).padStart(2, '0')}`);
      for (const [i, name] of names.entries()) {
        if (i % 3 === 2) fs.mkdir(`/d/${name}`);
        else fs.add(`/d/${name}`, { show: () => `${name}\n` });
      }
      expect(fs.list('/d')).to.deep.equal(names);
      for (const [i, name] of names.entries()) {
        expect(fs.exists(`/d/${name}`), name).to.equal(true);
        if (i % 3 === 2) expect(code(() => fs.read(`/d/${name}`))).to.match(/^EISDIR: /);
        else {
          expect(fs.read(`/d/${name}`)).to.equal(`${name}\n`);
          expect(code(() => fs.read(`/d/${name}/`))).to.match(/^ENOTDIR: /);
          expect(fs.exists(`/d/${name}/`), `${name}/`).to.equal(false);
        }
        expect(code(() => fs.add(`/d/${name}`, { show: () => '' }))).to.match(/^EEXIST: .*duplicate filename/);
      }
      expect(fs.exists('/d/none')).to.equal(false);
      // Remove from the middle, the end and the start, then the rest.
      const order = [...names.slice(Math.floor(n / 2)), ...names.slice(0, Math.floor(n / 2)).reverse()];
      const left = new Set(names);
      for (const name of order) {
        fs.remove(`/d/${name}`);
        left.delete(name);
        expect(fs.exists(`/d/${name}`), name).to.equal(false);
        expect(fs.list('/d')).to.deep.equal([...left].sort());
        expect(code(() => fs.remove(`/d/${name}`))).to.match(/^ENOENT: .*no such file/);
      }
      fs.add('/d/again', { show: () => 'again\n' });
      expect(fs.read('/d/again')).to.equal('again\n');
    });
  }
});

describe('sysfs: paths', () => {
  it("walks a path name by name: repeated slashes and a directory's trailing slash ignored, a name never matched by its prefix or extension", () => {
    const fs = new Sysfs();
    fs.add('/d/ab', { show: () => 'ab\n' });
    fs.add('//d///abc', { show: () => 'abc\n' });
    fs.mkdir('/d/a');
    fs.add('/d/a/b', { show: () => 'a/b\n' });
    expect(fs.read('/d/ab')).to.equal('ab\n');
    expect(fs.read('/d//abc')).to.equal('abc\n');
    expect(fs.read('/d//a//b')).to.equal('a/b\n');
    expect(fs.exists('/d/a/')).to.equal(true);
    expect(fs.exists('//d//a//')).to.equal(true);
    expect(fs.exists('/d/a')).to.equal(true);
    expect(fs.exists('/d/abcd')).to.equal(false);
    expect(fs.exists('/d/ab/c')).to.equal(false);
    expect(fs.exists('/da')).to.equal(false);
    expect(fs.exists('/')).to.equal(true);
    expect(fs.list('/d/')).to.deep.equal(['a', 'ab', 'abc']);
    expect(code(() => fs.read('/d/a'))).to.match(/^EISDIR: .*'\/d\/a' is a directory/);
    expect(code(() => fs.read('/'))).to.match(/^EISDIR: .*'\/' is a directory/);
    expect(code(() => fs.add('/', { show: () => '' }))).to.match(/^EINVAL: .*sysfs: cannot add an attribute at \//);
    expect(code(() => fs.mkdir('//'))).to.match(/^EEXIST: .*sysfs: \/ exists/);
    expect(code(() => fs.remove('/'))).to.match(/^ENOENT: /);
    fs.remove('/d/a/');
    expect(fs.list('/d')).to.deep.equal(['ab', 'abc']);
  });

  it("refuses a relative path, a non-string and any '.' or '..' name (EINVAL), but takes names that only hold dots", () => {
    const fs = new Sysfs();
    fs.add('/d/.x', { show: () => 'dotx\n' });
    fs.add('/d/...', { show: () => 'dots\n' });
    fs.add('/d/x.', { show: () => 'xdot\n' });
    expect(fs.list('/d')).to.deep.equal(['...', '.x', 'x.']);
    for (const bad of ['/d/.', '/d/..', '/./d/x.', '/d/../d', '/d/./', '/..']) {
      expect(
        code(() => fs.exists(bad)),
        bad,
      ).to.match(/^EINVAL: .*may not contain '\.' or '\.\.'/);
    }
    expect(code(() => fs.read('d/.x'))).to.match(/^EINVAL: .*sysfs path 'd\/\.x' must be absolute/);
    expect(code(() => fs.exists(7 as unknown as string))).to.match(/^EINVAL: .*sysfs path 7 must be absolute/);
  });

  it('finds names in place in a directory past its flat form (a map) too', () => {
    const fs = new Sysfs();
    for (let i = 0; i < 12; i++) fs.add(`/big/n${i}`, { show: () => `${i}\n` });
    expect(fs.read('/big//n11')).to.equal('11\n');
    expect(code(() => fs.read('/big//n11/'))).to.match(/^ENOTDIR: sysfs: '\/big\/\/n11' is a file, not a directory/);
    expect(code(() => fs.read('/big/n11/x'))).to.match(/^ENOTDIR: sysfs: '\/big\/n11' is a file, not a directory/);
    expect(fs.exists('/big/n11/')).to.equal(false);
    expect(fs.exists('/big/n1')).to.equal(true);
    expect(fs.exists('/big/n12')).to.equal(false);
    expect(fs.exists('/big/n')).to.equal(false);
  });
});

describe("sysfs: a slash after a file's name (Linux's path lookup gives ENOTDIR)", () => {
  function tree(): Sysfs {
    const fs = new Sysfs();
    let stored = '';
    fs.add('/d/f', { show: () => `f ${stored}\n`, store: (v) => (stored = v) });
    fs.mkdir('/d/sub');
    fs.add('/d/sub/g', { show: () => 'g\n' });
    return fs;
  }

  it('is ENOTDIR for read, write and list with a trailing slash, changing nothing', () => {
    const fs = tree();
    expect(code(() => fs.read('/d/f/'))).to.equal(
      "ENOTDIR: sysfs: '/d/f' is a file, not a directory, so '/d/f/' names nothing; drop the '/' after a file's name",
    );
    expect(code(() => fs.read('/d//sub/g//'))).to.match(/^ENOTDIR: sysfs: '\/d\/\/sub\/g' is a file, not a directory, so '\/d\/\/sub\/g\/\/' names nothing/);
    expect(code(() => fs.write('/d/f/', 'x'))).to.match(/^ENOTDIR: sysfs: '\/d\/f' is a file/);
    expect(fs.read('/d/f')).to.equal('f \n');
    expect(code(() => fs.list('/d/f/'))).to.match(/^ENOTDIR: sysfs: '\/d\/f' is a file/);
    fs.write('/d/f', 'y');
    expect(fs.read('/d/f')).to.equal('f y\n');
  });

  it('is ENOTDIR for a file among the names before the last, and ENOENT when a name is missing', () => {
    const fs = tree();
    expect(code(() => fs.read('/d/f/x'))).to.equal(
      "ENOTDIR: sysfs: '/d/f' is a file, not a directory, so '/d/f/x' names nothing; drop the '/' after a file's name",
    );
    expect(code(() => fs.write('/d/sub/g/h', '1'))).to.match(/^ENOTDIR: sysfs: '\/d\/sub\/g' is a file/);
    expect(code(() => fs.list('/d/f/x/'))).to.match(/^ENOTDIR: sysfs: '\/d\/f' is a file/);
    expect(code(() => fs.remove('/d/f/x'))).to.match(/^ENOTDIR: sysfs: '\/d\/f' is a file/);
    expect(code(() => fs.read('/d/none/x'))).to.equal("ENOENT: sysfs: no such file '/d/none/x'");
    expect(fs.list('/d')).to.deep.equal(['f', 'sub']);
  });

  it('exists() says no to a file named with a trailing slash or used as a directory, yes to a directory with one', () => {
    const fs = tree();
    expect(fs.exists('/d/f')).to.equal(true);
    expect(fs.exists('/d/f/')).to.equal(false);
    expect(fs.exists('/d/f/x')).to.equal(false);
    expect(fs.exists('/d/sub/g//')).to.equal(false);
    expect(fs.exists('/d/sub/')).to.equal(true);
    expect(fs.exists('/d/sub//')).to.equal(true);
  });

  it('remove() of a file named with a trailing slash is ENOTDIR and keeps the file; a directory may have one', () => {
    const fs = tree();
    expect(code(() => fs.remove('/d/f/'))).to.match(/^ENOTDIR: sysfs: '\/d\/f' is a file/);
    expect(fs.list('/d')).to.deep.equal(['f', 'sub']);
    expect(fs.read('/d/f')).to.equal('f \n');
    fs.remove('/d/sub/');
    expect(fs.list('/d')).to.deep.equal(['f']);
  });

  it("add() refuses a file's name followed by a slash (EINVAL), creating nothing", () => {
    const fs = new Sysfs();
    expect(code(() => fs.add('/d/x/', { show: () => '' }))).to.equal("EINVAL: sysfs: cannot add an attribute at '/d/x/': a file's name is not followed by '/'");
    expect(fs.exists('/d')).to.equal(false);
    fs.add('/d/x', { show: () => 'x\n' });
    expect(fs.read('/d/x')).to.equal('x\n');
  });

  it('export of a file named as a directory is ENOTDIR, writing nothing', async () => {
    const fs = tree();
    for (const path of ['/d/f', '/d/f/', '/d/sub/g/x']) {
      let got = 'no error';
      await fs.exportTo(path, '/nonexistent-cspmu-export-target').catch((e: unknown) => {
        got = e instanceof KernelError ? e.message : String(e);
      });
      expect(got, path).to.match(/^ENOTDIR: sysfs: '.*' is a file, not a directory/);
    }
  });
});
