// Gathers everything the probe prints into one plain object (the --json shape).
import * as fs from 'node:fs';
import * as path from 'node:path';

import { cpu, kernels, type KernelInfo } from '../../src/index';
import { calibrate, DEFAULT_CALIBRATION, type Calibration } from './calibrate';
import { selections, TOPHASH_VARS, type Selections } from './selection';
import { cacheSizes, cores, modelName, type CacheSizes } from './system';

export interface Report {
  tophash: string | null;
  node: string;
  platform: NodeJS.Platform;
  arch: string;
  cpu: {
    /** Architecture the addon was built for ("x64", "arm64", ...). */
    arch: string;
    vendor: string;
    /** cpuid brand string ('' where there is none). */
    brand: string;
    /** brand, or os.cpus()[0].model where there is no brand. */
    model: string;
    modelSource: 'cpuid' | 'os.cpus' | 'none';
    logicalCores: number;
    availableParallelism: number;
    /** Bytes, from /sys/devices/system/cpu/cpu0/cache; keys absent where unknown. */
    cache: CacheSizes;
  };
  /** Every feature the kernels care about, by /proc/cpuinfo name (plus os_avx / os_avx512). */
  features: Record<string, boolean>;
  /** kernels() as is. */
  kernels: KernelInfo[];
  selected: Selections;
  /** TOPHASH_* variables that are set. */
  env: Record<string, string>;
  calibration: Calibration | null;
}

function packageVersion(): string | null {
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'tophash') return pkg.version ?? null;
      } catch {
        return null;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function collect(options: { calibrate: boolean }): Report {
  const c = cpu();
  const { model, source } = modelName(c.brand);
  const { logical, available } = cores();
  const selected = selections();
  const env: Record<string, string> = {};
  for (const name of TOPHASH_VARS) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    tophash: packageVersion(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpu: {
      arch: c.arch,
      vendor: c.vendor,
      brand: c.brand,
      model,
      modelSource: source,
      logicalCores: logical,
      availableParallelism: available,
      cache: cacheSizes(),
    },
    features: { ...c.features },
    kernels: kernels(),
    selected,
    env,
    calibration: options.calibrate
      ? calibrate({
          ...DEFAULT_CALIBRATION,
          // Maps use the hash kernel `new U64Map()` would use (forcing included).
          mapHash: selected.hash.kernel ?? selected.hash.best ?? 'fold',
        })
      : null,
  };
}
