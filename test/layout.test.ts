// The folder tree of src/ is the architecture: each folder is a layer, and a
// file may import from its own folder or from a lower layer only. This suite
// reads every import in src/ and fails on an import cycle (type-only imports
// count: they tie the files together just the same) or on an import that
// reaches sideways or up.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const SRC = path.join(__dirname, '..', 'src');

// Lower numbers sit lower. Folders with the same rank are siblings and may not
// import each other; the entry files at the top only re-export.
const RANK: Record<string, number> = { runtime: 0, maps: 1, ebpf: 1, metrics: 1, prom: 2, otel: 2, '.': 3 };

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return /\.m?ts$/.test(entry.name) ? [file] : [];
  });
}

/** The src/ files a file imports, as paths relative to src/ without extension. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom|\bimport\(?|\brequire\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((spec) => id(path.resolve(path.dirname(file), spec.replace(/\.m?js$/, ''))));
}

function id(file: string): string {
  return path
    .relative(SRC, file)
    .replace(/\.m?ts$/, '')
    .split(path.sep)
    .join('/');
}

function layer(name: string): string {
  return name.includes('/') ? name.slice(0, name.indexOf('/')) : '.';
}

const graph = new Map<string, string[]>(sourceFiles(SRC).map((file) => [id(file), importsOf(file)]));

/** Every cycle found by a depth-first walk, each as the path that closes it. */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('src/ layout', () => {
  it('reads the import graph', () => {
    expect(graph.get('index')).toContain('maps/u64map');
    expect(graph.get('metrics/aggregator')).toContain('runtime/errors');
  });

  it('has every source file in a known layer', () => {
    const unknown = [...graph.keys()].filter((name) => !(layer(name) in RANK));
    expect(unknown).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles().map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('imports only from the same folder or a lower layer', () => {
    const bad: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const a = layer(from);
        const b = layer(to);
        if (!graph.has(to)) bad.push(`${from} -> ${to} (not a src/ file)`);
        else if (a !== b && !(RANK[b] < RANK[a])) bad.push(`${from} -> ${to}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
