// The README's code runs as written: every js block of the machine API and Workloads sections is run with node, and the backend example type-checks.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { node, ROOT } from './helpers/cli.js';

/** The ```js (or other `lang`) blocks of one README section (from its heading to the next `## `). */
function snippetsOf(readme: string, heading: string, lang = 'js'): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section '${heading}'`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp(`\n\`\`\`${lang}\n([\\s\\S]*?)\n\`\`\``, 'g'))].map((m) => m[1]!);
}

describe('README: the machine API section runs as written', function () {
  this.timeout(120000);
  const snippets = snippetsOf(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'The machine API');
  // Written under test/dist so that '@cspmu/system' resolves from the workspace, as it would for a user of the packages.
  const dir = join(ROOT, 'test', 'dist', 'readme-snippets');
  mkdirSync(dir, { recursive: true });

  it('has an example for each of open and close, advance, load and unload, settle, bindings, installed vs loaded, and overflow events', () => {
    expect(snippets).to.have.length(6);
    const all = snippets.join('\n');
    for (const api of [
      'm.open(',
      'm.close(',
      'm.advance(',
      'm.load(',
      'm.unload(',
      'm.settle()',
      'm.bindings()',
      'whenBound(',
      'installed:',
      'blacklist:',
      'plugins:',
      "'cspmu:overflow'",
    ]) {
      expect(all, api).to.contain(api);
    }
  });

  snippets.forEach((code, i) => {
    it(`example ${i + 1}: ${code.split('\n').find((l) => l.startsWith('const ') || l.startsWith('m.'))}`, () => {
      const file = join(dir, `example-${i + 1}.mjs`);
      writeFileSync(file, code);
      const r = node([file]);
      expect(r.status, `${r.stderr}\n--- example ${i + 1} ---\n${code}`).to.equal(0);
    });
  });
});

describe('README: the backend example of Writing a backend type-checks against the public entry alone', function () {
  this.timeout(120000);

  it('imports only @cspmu/arm-cspmu and compiles with the project settings', () => {
    const [code, ...rest] = snippetsOf(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'Writing a backend', 'ts');
    expect(rest).to.deep.equal([]);
    expect([...code!.matchAll(/from '([^']+)'/g)].map((m) => m[1])).to.deep.equal(['@cspmu/arm-cspmu']);
    const dir = join(ROOT, 'test', 'dist', 'readme-backend');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'backend.ts'), code!);
    const options = { noEmit: true, composite: false, declaration: false, declarationMap: false, rootDir: '.' };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../../tsconfig.base.json', compilerOptions: options, include: ['backend.ts'] }));
    const r = node([join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir]);
    expect(r.status, `${r.stdout}${r.stderr}\n--- the README's backend example ---\n${code}`).to.equal(0);
  });
});

describe('README: the Workloads section runs as written', function () {
  this.timeout(120000);
  const snippets = snippetsOf(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'Workloads');
  const dir = join(ROOT, 'test', 'dist', 'readme-snippets');
  mkdirSync(dir, { recursive: true });

  it('has one example, and it runs: counts follow the rank and threshold filters', () => {
    expect(snippets).to.have.length(1);
    const file = join(dir, 'workloads-1.mjs');
    writeFileSync(file, snippets[0]!);
    const r = node([file]);
    expect(r.status, `${r.stderr}\n--- example ---\n${snippets[0]}`).to.equal(0);
  });
});
