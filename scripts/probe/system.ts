// What the probe reports about the machine beyond cpu(): core counts, the
// CPU's name, and cache sizes from Linux sysfs (absent on other systems).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CACHE_DIR = '/sys/devices/system/cpu/cpu0/cache';

/** Cache sizes in bytes keyed 'L1d', 'L1i', 'L2', 'L3' (whatever cpu0 lists). */
export type CacheSizes = Record<string, number>;

function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** "32K" -> 32768; sysfs writes K, but accept M/G and a bare number too. */
export function parseCacheSize(text: string): number | undefined {
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) return undefined;
  const shift = { '': 0, K: 10, M: 20, G: 30 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * 2 ** shift;
}

/** cpu0's caches from /sys/devices/system/cpu/cpu0/cache/index*; {} where that does not exist. */
export function cacheSizes(dir = CACHE_DIR): CacheSizes {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).filter((e) => /^index\d+$/.test(e));
  } catch {
    return {};
  }
  entries.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const out: CacheSizes = {};
  for (const entry of entries) {
    const level = readTrimmed(path.join(dir, entry, 'level'));
    const type = readTrimmed(path.join(dir, entry, 'type'));
    const sizeText = readTrimmed(path.join(dir, entry, 'size'));
    if (level === undefined || type === undefined || sizeText === undefined) continue;
    const size = parseCacheSize(sizeText);
    if (size === undefined) continue;
    const suffix = type === 'Data' ? 'd' : type === 'Instruction' ? 'i' : '';
    const name = `L${level}${suffix}`;
    if (!(name in out)) out[name] = size;
  }
  return out;
}

export interface Cores {
  /** os.cpus().length (0 where the platform does not say). */
  logical: number;
  /** os.availableParallelism(): what this process may use (affinity, cgroups on some platforms). */
  available: number;
}

export function cores(): Cores {
  return { logical: os.cpus().length, available: os.availableParallelism() };
}

/** The CPU's name: cpuid's brand string, else os.cpus()[0].model (Arm has no brand leaf). */
export function modelName(brand: string): { model: string; source: 'cpuid' | 'os.cpus' | 'none' } {
  if (brand !== '') return { model: brand, source: 'cpuid' };
  const fromOs = os.cpus()[0]?.model?.trim() ?? '';
  if (fromOs !== '' && fromOs !== 'unknown') return { model: fromOs, source: 'os.cpus' };
  return { model: '', source: 'none' };
}

/** 32768 -> "32 KiB", 33554432 -> "32 MiB", 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${text} ${units[unit]}`;
}
