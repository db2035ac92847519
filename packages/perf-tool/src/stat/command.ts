// Run the measured command as perf stat does: inherit stdio, report its exit status and its user/system CPU time.
import { spawn } from 'node:child_process';
import { accessSync, constants, type Stats, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { kerr } from '@cspmu/kernel';

export interface CommandResult {
  readonly status: number;
  readonly pid: number;
  /** The command's user and system CPU time (the shell's children times), in ns. */
  readonly userNs: number;
  readonly sysNs: number;
  /** Set when the command could not start (nothing ran; status is 255 as perf's). */
  readonly execError?: ExecError;
}

/** strerror() of the errors execvp gives for a command that cannot start. */
const EXEC_ERROR_TEXT = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
} as const;
export type ExecError = keyof typeof EXEC_ERROR_TEXT;

/** What perf prints for a workload that could not start. */
export function workloadFailedText(error: ExecError): string {
  return `Workload failed: ${EXEC_ERROR_TEXT[error]}`;
}

/** Why execve(path) fails before running anything, or undefined if it would start (as root, one x bit is enough). */
function execveError(path: string): ExecError | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'ENOTDIR' : 'ENOENT';
  }
  if (!st.isFile()) return 'EACCES';
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return 'EACCES';
  }
}

/**
 * The executable a command name runs, found as execvp finds it, or the errno
 * execvp would fail with: a name with a slash is run as it is; otherwise each
 * PATH entry is tried (an empty one is the current directory), and when none
 * runs, EACCES if some entry held a file that could not be run, else ENOENT.
 */
export function resolveCommand(name: string): { exe: string } | { error: ExecError } {
  if (name === '') return { error: 'ENOENT' };
  if (name.includes('/')) {
    const error = execveError(name);
    return error ? { error } : { exe: name };
  }
  let sawEacces = false;
  for (const dir of (process.env['PATH'] ?? '/bin:/usr/bin').split(delimiter)) {
    const c = join(dir || '.', name);
    const error = execveError(c);
    if (!error) return { exe: c };
    if (error === 'EACCES') sawEacces = true;
  }
  return { error: sawEacces ? 'EACCES' : 'ENOENT' };
}

const TICKS_PER_SECOND = 100;

/**
 * Run `command` under a shell that waits for it and then reports its
 * children's CPU times (cutime/cstime of /proc/<shell>/stat) on fd 3: Node
 * has no getrusage(RUSAGE_CHILDREN). `onTick` runs every 10 ms meanwhile.
 */
export function runCommand(command: readonly string[], onTick: () => void, timeoutMs?: number): Promise<CommandResult> {
  const found = resolveCommand(command[0]!);
  if ('error' in found) return Promise.resolve({ status: 255, pid: 0, userNs: 0, sysNs: 0, execError: found.error });
  const exe = found.exe;
  // The command runs as the shell's child with the shell's stdin (fd 4), without fd 3; a TERM to the shell
  // (the --timeout) is passed on to it, and the shell waits for it before reading its own stat.
  const script = [
    'exec 4<&0',
    '"$@" <&4 4<&- 3>&- & c=$!',
    "trap 'kill -TERM $c 2>/dev/null' TERM INT",
    'wait $c 2>/dev/null; s=$?',
    'while kill -0 $c 2>/dev/null; do wait $c 2>/dev/null; s=$?; done',
    'read -r l < /proc/$$/stat; echo "$l" >&3; exit $s',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script, command[0]!, exe, ...command.slice(1)], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
    let stat = '';
    child.stdio[3]!.on('data', (d: Buffer) => (stat += d.toString()));
    const tick = setInterval(onTick, 10);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGTERM');
          }, timeoutMs);
    const done = () => {
      clearInterval(tick);
      if (timer) clearTimeout(timer);
    };
    child.on('error', (e) => {
      done();
      reject(kerr('ENOENT', `cannot run '${command[0]}': ${e.message}`));
    });
    child.on('close', (code, signal) => {
      done();
      // Fields after the command name: cutime and cstime are the 14th and 15th.
      const fields = stat
        .slice(stat.lastIndexOf(')') + 2)
        .trim()
        .split(/\s+/);
      const ticks = (i: number) => (Number(fields[i]) || 0) * (1e9 / TICKS_PER_SECOND);
      resolve({ status: code ?? (signal ? 128 + 15 : 1), pid: child.pid ?? 0, userNs: ticks(13), sysNs: ticks(14) });
    });
  });
}
