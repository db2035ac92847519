// Builds the exec package's C parts (preload library, namespace launcher, SO_PEERCRED helper) with the
// system C compiler. Without a compiler it says so and exits 0: the rest of cspmu builds, and `cspmu exec`
// and its tests report why they are unavailable.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(pkg, 'native');
const out = join(pkg, 'dist', 'native');

function findCompiler() {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
  for (const c of candidates) if (spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0) return c;
  return undefined;
}

const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};

const cc = findCompiler();
if (!cc) {
  console.error(
    `cspmu: no C compiler found (looked for ${[process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean).join(', ')}): ` +
      'the preload library for `cspmu exec` was not built, and its tests will be skipped. Install gcc (or set CC) and run `npm run build` again.',
  );
  process.exit(0);
}
mkdirSync(out, { recursive: true });
const sources = readdirSync(src).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
const newest = (files) => Math.max(...files.map((f) => mtime(join(src, f))));
const flags = ['-O2', '-Wall', '-Wextra'];
const targets = [
  {
    out: 'libcspmu-preload.so',
    files: sources.filter((f) => f.startsWith('cspmu-') && !['cspmu-ns.c', 'cspmu-peercred.c'].includes(f)),
    args: ['-shared', '-fPIC'],
    libs: ['-ldl', '-lpthread'],
  },
  { out: 'cspmu-ns', files: ['cspmu-ns.c'], args: [], libs: [] },
  { out: 'cspmu-peercred', files: ['cspmu-peercred.c'], args: [], libs: [] },
  { out: 'perf-open-check', files: ['test/perf-open-check.c'], args: [], libs: [] },
  { out: 'read-loop', files: ['test/read-loop.c'], args: [], libs: [] },
];
for (const t of targets) {
  const target = join(out, t.out);
  if (mtime(target) > newest(t.files)) continue;
  const cfiles = t.files.filter((f) => f.endsWith('.c')).map((f) => join(src, f));
  execFileSync(cc, [...flags, ...t.args, '-o', target, ...cfiles, ...t.libs], { stdio: 'inherit' });
}
