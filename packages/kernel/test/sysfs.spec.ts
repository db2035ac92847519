// Tests of the sysfs tree: files and directories share one namespace per directory, and neither stands in for the other.
import { expect } from 'chai';
import { KernelError, Sysfs } from '../src/index.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelError) return `${e.code}: ${e.message}`;
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

  it('a directory is not a file: reading, writing or storing through it is ENOENT', () => {
    const fs = new Sysfs();
    fs.mkdir('/d');
    fs.mkdir('/d/sub');
    expect(code(() => fs.read('/d/sub'))).to.match(/^ENOENT: .*no such file '\/d\/sub'/);
    expect(code(() => fs.write('/d/sub', '1'))).to.match(/^ENOENT: /);
  });

  it('a file is not a directory: nothing can be made under it, and names clash across kinds', () => {
    const fs = new Sysfs();
    fs.add('/d/f', { show: () => 'f\n' });
    expect(code(() => fs.add('/d/f/g', { show: () => '' }))).to.match(/^EEXIST: .*'f' is a file, not a directory/);
    expect(code(() => fs.mkdir('/d/f'))).to.match(/^EEXIST: .*duplicate filename '\/d\/f'/);
    fs.mkdir('/d/e');
    expect(code(() => fs.add('/d/e', { show: () => '' }))).to.match(/^EEXIST: .*duplicate filename '\/d\/e'/);
    expect(code(() => fs.list('/d/f'))).to.match(/^ENOENT: /);
    fs.remove('/d/e');
    expect(fs.list('/d')).to.deep.equal(['f']);
  });
});
