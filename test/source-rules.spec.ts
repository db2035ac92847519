// The repository's style rules, enforced: no source file over 350 lines, each opens with a comment saying its one job, none cites unreadable documents.
//
// Scope: every source file git would commit (tracked, or untracked and not ignored) whose name ends in .ts, .mts, .cts, .js, .mjs,
// .cjs, .c or .h, outside node_modules and dist; generated files are excluded by name (*.generated.*). Without git (a tarball),
// the same files are found by walking the tree.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT } from './helpers/cli.js';

const MAX_LINES = 350;
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|c|h)$/;
const EXCLUDED = [/(^|\/)node_modules\//, /(^|\/)dist\//, /\.generated\.[a-z]+$/];
/** A first line that only talks to a tool says nothing of the file's job. */
const TOOL_DIRECTIVE = /^(\/\/\/\s*<reference|\/\/\s*(biome-ignore|@ts-|eslint|prettier-ignore|#region|TODO)|\/\*\s*(eslint|global|biome-ignore))/i;
/** Documents outside the repository that comments once cited. This file names them, so it is the one file not checked for them. */
const UNREADABLE_CITATIONS: readonly [RegExp, string][] = [
  [/\bseeds?[ /#]*0\d\d\b/i, 'a mailing-list seed'],
  [/\b(v\d+ patch|patch v\d+)\b/i, 'a patch version'],
  [/\bfacts?[ -](sheet|§)|§\s*\d/i, 'the facts sheet'],
  [/\bissues? #?\d+\b/i, 'an issue'],
  [/\.\.\/shared\/|\bshared\/(bench|reference|seeds)\/|kernel-facts\.md|users-and-peers\.md|DESIGN\.md/, 'a file outside the repository'],
];

const THIS_FILE = 'test/source-rules.spec.ts';

function sourceFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  const all = git.status === 0 ? git.stdout.split('\0').filter(Boolean) : walk('');
  return [...new Set(all)].filter((f) => SOURCE.test(f) && !EXCLUDED.some((re) => re.test(f))).sort();
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (e.name === '.git' || e.name === 'node_modules' || e.name === 'dist') continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** Lines as `wc -l` counts them, plus a last line without a newline. */
function lineCount(text: string): number {
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

/** Why the file's opening is not a comment stating its job, or undefined if it is. */
function openingProblem(text: string): string | undefined {
  const lines = text.split('\n');
  const at = lines[0]?.startsWith('#!') ? 1 : 0;
  const first = lines[at]?.trim() ?? '';
  if (!first.startsWith('//') && !first.startsWith('/*')) return `starts with \`${first.slice(0, 60)}\`, not a comment`;
  if (TOOL_DIRECTIVE.test(first)) return `starts with a tool directive (\`${first.slice(0, 60)}\`), not a statement of its job`;
  const words = (line: string) =>
    line
      .replace(/^\s*(\/\/+|\/\*+|\*)|\*\/\s*$/g, '')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  // A block comment may open on a line of its own: its first words are on the next line.
  const opening = words(first).length > 0 ? words(first) : words(lines[at + 1] ?? '');
  if (opening.length < 4) return 'opens with a comment too short to say what the file does';
  return undefined;
}

describe('Source rules: small files, each saying its job', () => {
  const files = sourceFiles();
  const texts = new Map(files.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));

  it('finds the source files of every package, the tests, the bench and the examples', () => {
    for (const where of ['packages/kernel/src/', 'packages/arm-cspmu/src/', 'packages/exec/native/', 'test/', 'bench/src/', 'examples/']) {
      expect(
        files.some((f) => f.startsWith(where)),
        `no source file found under ${where}`,
      ).to.equal(true);
    }
    expect(files.some((f) => f.includes('/dist/') || f.includes('node_modules/'))).to.equal(false);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const over = files.map((f) => [f, lineCount(texts.get(f)!)] as const).filter(([, n]) => n > MAX_LINES);
    const message = over
      .map(([f, n]) => `  ${f}: ${n} lines; split it by job into files of at most ${MAX_LINES} lines, each with its own first comment`)
      .join('\n');
    if (over.length > 0) expect.fail(`source files over ${MAX_LINES} lines:\n${message}`);
  });

  it('opens every source file with a comment that says its one job', () => {
    const bad = files.flatMap((f) => {
      const problem = openingProblem(texts.get(f)!);
      return problem ? [`  ${f}: ${problem}; write one line (or a short block) at the top saying what this file does`] : [];
    });
    if (bad.length > 0) expect.fail(`source files without a first comment stating their job:\n${bad.join('\n')}`);
  });

  it('cites no document a reader of the repository cannot open', () => {
    const bad = files.flatMap((f) =>
      f === THIS_FILE
        ? []
        : texts
            .get(f)!
            .split('\n')
            .flatMap((line, i) =>
              UNREADABLE_CITATIONS.filter(([re]) => re.test(line)).map(
                ([, what]) => `  ${f}:${i + 1}: cites ${what} (\`${line.trim().slice(0, 80)}\`); state the fact itself instead`,
              ),
            ),
    );
    if (bad.length > 0) expect.fail(`citations a reader of the repository cannot follow:\n${bad.join('\n')}`);
  });
});
