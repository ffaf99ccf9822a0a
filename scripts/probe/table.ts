// The human-readable rendering of a Report: plain text, aligned columns.
import type { Report } from './report';
import type { Selection } from './selection';
import { formatBytes } from './system';

type Align = 'left' | 'right';

/** Rows of cells as aligned lines (two spaces between columns, no trailing spaces). */
export function alignColumns(rows: string[][], align: Align[] = [], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
  );
}

const FEATURE_NOTES: Record<string, string> = {
  avx: 'needs os_avx too',
  avx2: 'needs os_avx too',
  vaes: 'needs os_avx too',
  avx512f: 'needs os_avx512 too',
  avx512bw: 'needs os_avx512 too',
  avx512vl: 'needs os_avx512 too',
  aes: 'AES-NI',
  os_avx: 'OS saves YMM state (xgetbv)',
  os_avx512: 'OS saves opmask/ZMM state (xgetbv)',
  asimd: 'NEON (Advanced SIMD)',
};

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

function fixed(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function describeSelection(s: Selection): string {
  if (s.kernel === null) {
    return `none: ${s.env}=${s.envValue} is rejected (new U64Map() throws ${s.error ?? 'an error'})`;
  }
  if (!s.forced) return 'best supported';
  return `forced by ${s.env}=${s.envValue}` + (s.best !== null ? ` (best supported: ${s.best})` : '');
}

export function renderTable(r: Report): string {
  const out: string[] = [];
  out.push(`tophash ${r.tophash ?? '?'} probe: Node ${r.node}, ${r.platform} ${r.arch}`);
  const envSet = Object.entries(r.env);
  out.push(
    envSet.length === 0 ? 'env: no TOPHASH_* overrides' : `env: ${envSet.map(([k, v]) => `${k}=${v}`).join(' ')}`,
  );
  if (r.env.TOPHASH_CPU_MASK !== undefined) {
    out.push('note: TOPHASH_CPU_MASK hides features, so the features and kernels below may understate this CPU');
  }

  out.push('', 'CPU');
  const cache = Object.entries(r.cpu.cache);
  out.push(
    ...alignColumns([
      ['arch', r.cpu.arch],
      ['vendor', r.cpu.vendor || '(unknown)'],
      ['model', r.cpu.model === '' ? '(unknown)' : r.cpu.model + (r.cpu.modelSource === 'os.cpus' ? ' (os.cpus)' : '')],
      [
        'cores',
        `${r.cpu.logicalCores} logical (os.cpus), ${r.cpu.availableParallelism} available (os.availableParallelism)`,
      ],
      [
        'cache',
        cache.length === 0
          ? '(unknown: no /sys/devices/system/cpu/cpu0/cache)'
          : cache.map(([name, bytes]) => `${name} ${formatBytes(bytes)}`).join(', ') + ' (cpu0)',
      ],
    ]),
  );

  out.push('', 'Features');
  const features = Object.entries(r.features);
  if (features.length === 0) out.push('  (none known on this architecture)');
  out.push(...alignColumns(features.map(([name, on]) => [name, yesNo(on), FEATURE_NOTES[name] ?? ''])));

  const cal = r.calibration;
  const matchNs = new Map(cal?.match.map((t) => [t.kernel, t.nsPerKey]));
  const hashNs = new Map(cal?.hash.map((t) => [t.kernel, t]));
  out.push('', 'Kernels');
  const header = ['kind', 'kernel', 'supported', 'selected', 'needs'];
  if (cal) header.push('ns/key', `GB/s (${cal.bufferBytes} B)`);
  const rows = [header];
  for (const k of r.kernels) {
    const row = [k.kind, k.name, yesNo(k.supported), k.active ? 'yes' : '', k.needs || '-'];
    if (cal) {
      const ns = k.kind === 'match' ? matchNs.get(k.name) : hashNs.get(k.name)?.nsPerKey;
      const gb = k.kind === 'hash' ? hashNs.get(k.name)?.gbPerSec : undefined;
      row.push(ns === undefined ? '-' : fixed(ns), gb === undefined ? '-' : fixed(gb));
    }
    rows.push(row);
  }
  out.push(...alignColumns(rows, ['left', 'left', 'left', 'left', 'left', 'right', 'right']));

  out.push('', 'Selected (what new U64Map() uses)');
  out.push(
    ...alignColumns(
      (['match', 'hash'] as const).map((kind) => [
        kind,
        r.selected[kind].kernel ?? '-',
        describeSelection(r.selected[kind]),
      ]),
    ),
  );

  out.push('');
  if (cal) {
    out.push(
      `Calibration: median of ${cal.runs} runs. match: U64Map of ${cal.keys} keys (hash ${cal.match[0]?.hash ?? '-'}), ` +
        `getBatch of ${cal.keys} hits; hash: hashBatch of ${cal.keys} u64 keys, and hash() of a ${cal.bufferBytes}-byte buffer ` +
        '(GB/s includes the per-call cost of hash()).',
    );
  } else {
    out.push('Calibration skipped (--no-calibrate).');
  }
  return out.join('\n') + '\n';
}
