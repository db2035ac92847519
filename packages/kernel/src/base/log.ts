// The emulated kernel log (dmesg): bounded records with levels, and their printed form.
import { kerr } from './errors.js';

export type LogLevel = 'emerg' | 'err' | 'warn' | 'info' | 'debug';

export interface LogRecord {
  readonly seq: number;
  readonly timeNs: number;
  readonly level: LogLevel;
  readonly subsystem: string;
  readonly message: string;
}

/** The kernel log (dmesg): a bounded record of what the emulated kernel said. */
export class KernelLog {
  private readonly records: LogRecord[] = [];
  private seq = 0;
  private dropped = 0;
  readonly listeners = new Set<(r: LogRecord) => void>();

  constructor(
    private readonly now: () => number,
    readonly capacity = 4096,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw kerr('EINVAL', `log capacity must be a positive integer, got ${capacity}`);
    }
  }

  log(level: LogLevel, subsystem: string, message: string): LogRecord {
    const rec: LogRecord = { seq: this.seq++, timeNs: this.now(), level, subsystem, message };
    if (this.records.length === this.capacity) {
      this.records.shift();
      this.dropped++;
    }
    this.records.push(rec);
    for (const l of this.listeners) l(rec);
    return rec;
  }

  err(subsystem: string, message: string): LogRecord {
    return this.log('err', subsystem, message);
  }
  warn(subsystem: string, message: string): LogRecord {
    return this.log('warn', subsystem, message);
  }
  info(subsystem: string, message: string): LogRecord {
    return this.log('info', subsystem, message);
  }
  debug(subsystem: string, message: string): LogRecord {
    return this.log('debug', subsystem, message);
  }

  all(): readonly LogRecord[] {
    return this.records;
  }

  /** Records at `level` or more severe. */
  atLeast(level: LogLevel): LogRecord[] {
    const rank = LEVEL_RANK[level];
    return this.records.filter((r) => LEVEL_RANK[r.level] <= rank);
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** dmesg-style text: `[    1.000000] subsystem: message`. */
  text(): string {
    return this.records.map(formatLogRecord).join('\n');
  }
}

const LEVEL_RANK: Record<LogLevel, number> = { emerg: 0, err: 3, warn: 4, info: 6, debug: 7 };

export function formatLogRecord(r: LogRecord): string {
  const secs = Math.floor(r.timeNs / 1e9);
  const usecs = Math.floor((r.timeNs % 1e9) / 1e3);
  return `[${String(secs).padStart(5)}.${String(usecs).padStart(6, '0')}] ${r.subsystem}: ${r.message}`;
}
