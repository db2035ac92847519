/**
 * Reading files named by users (platform, workload and APMT files, plugin
 * manifests) without hanging or exhausting memory: the path is stat'ed first,
 * anything but a regular file is refused, so is a file over a size cap, and
 * the read itself opens without blocking and stops one byte past the cap.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import type { WorkCounter } from '../time/work.js';
import { describeThrown, kerr } from './errors.js';

/** Default cap for a file input: 64 MiB, far above any real APMT or platform file. */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

export interface ReadFileOptions {
  /** What the file is, for messages ("platform file", "APMT"). */
  readonly what: string;
  /** Refuse files larger than this (default DEFAULT_MAX_INPUT_BYTES). */
  readonly maxBytes?: number;
  /** How a user raises the cap, for the message (e.g. "--max-input-bytes"). */
  readonly raiseWith?: string;
  /** Charged one step per chunk read. */
  readonly work?: WorkCounter;
}

/** What a stat says a path is, in words. */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const CHUNK = 1 << 16;

/** The bytes of a regular file no larger than the cap; EINVAL (naming the path and what it is) otherwise. */
export function readRegularFile(path: string, options: ReadFileOptions): Buffer {
  const { what } = options;
  const cap = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  if (typeof path !== 'string' || path.length === 0) throw kerr('EINVAL', `${what}: the path must be a non-empty string`);
  if (!Number.isSafeInteger(cap) || cap < 0) throw kerr('EINVAL', `${what}: the size cap must be a non-negative integer of bytes, got ${cap}`);
  const raise = options.raiseWith ? `; raise the cap with ${options.raiseWith}` : '';
  const refuse = (st: Stats): void => {
    if (!st.isFile()) throw kerr('EINVAL', `${what} '${path}' is ${fileKind(st)}, not a regular file`);
    if (st.size > cap) throw kerr('EINVAL', `${what} '${path}' is ${st.size} bytes, over the ${cap}-byte cap${raise}`);
  };
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw kerr('ENOENT', `cannot read ${what} '${path}': ${describeThrown(e)}`, e);
  }
  refuse(st);
  let fd: number;
  try {
    // Non-blocking open: a FIFO swapped in after the stat cannot hang us; the fstat below refuses it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw kerr('ENOENT', `cannot read ${what} '${path}': ${describeThrown(e)}`, e);
  }
  try {
    refuse(fstatSync(fd));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, cap + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      options.work?.add(1);
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > cap) throw kerr('EINVAL', `${what} '${path}' grew past the ${cap}-byte cap while being read${raise}`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** A regular file's text (UTF-8), under the same rules as readRegularFile. */
export function readRegularTextFile(path: string, options: ReadFileOptions): string {
  return readRegularFile(path, options).toString('utf8');
}
