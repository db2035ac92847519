// Run the measured command as perf stat does: inherit stdio, report its exit status and its user/system CPU time.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { kerr } from '@cspmu/kernel';

export interface CommandResult {
  readonly status: number;
  readonly pid: number;
  /** The command's user and system CPU time (the shell's children times), in ns. */
  readonly userNs: number;
  readonly sysNs: number;
}

/** The executable a command name runs, found on PATH as execvp would; ENOENT if none. */
export function resolveCommand(name: string): string {
  const candidates = name.includes('/') ? [name] : (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).map((d) => join(d || '.', name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next PATH entry
    }
  }
  throw kerr('ENOENT', `cannot run '${name}': no such command on PATH`);
}

const TICKS_PER_SECOND = 100;

/**
 * Run `command` under a shell that waits for it and then reports its
 * children's CPU times (cutime/cstime of /proc/<shell>/stat) on fd 3: Node
 * has no getrusage(RUSAGE_CHILDREN). `onTick` runs every 10 ms meanwhile.
 */
export function runCommand(command: readonly string[], onTick: () => void, timeoutMs?: number): Promise<CommandResult> {
  const exe = resolveCommand(command[0]!);
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
