// The project stands on its own: no file it tracks points at a ticket (an
// issue number, a hash and a number), at a planning document outside the repository, or at a
// path on the machine it was written on. Comments say why, not which ticket;
// documents the project needs (the benchmark workloads, say) live in it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..');

const PATTERNS: readonly [string, RegExp][] = [
  ['a ticket number', /\bissues? #?\d+/i],
  ['a ticket reference', /(?:^|[\s([])#\d+\b/],
  ['a machine path', /\/work\//],
  ['a path outside the repository', /\.\.\/shared\b/],
  ['a planning folder', /\bcoord\//],
  ['a document outside the repository', /\b(?:bench-workloads|DESIGN|STYLE)\.md\b/],
];

// Lines that match and are known: [file, a substring of the line]. Each entry
// says why it stays; an entry that no longer matches anything is harmless.
const ALLOWED: readonly [string, string][] = [
  // C++ under native/ is reworded on the branches that own those files.
  ['native/core/bpf_map.h', 'The engine under BpfMap'],
  ['native/core/fixed_map.h', 'engine under BpfMap'],
  ['native/core/fixed_map.h', 'ADDS ON TOP: core/bpf_map.h'],
];

function trackedTextFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((file) => file !== '' && fs.existsSync(path.join(ROOT, file)));
}

function findings(file: string, text: string): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    for (const [what, pattern] of PATTERNS) {
      if (!pattern.test(line)) continue;
      if (ALLOWED.some(([f, part]) => f === file && line.includes(part))) continue;
      found.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
    }
  }
  return found;
}

describe('references outside the project', () => {
  it('the patterns catch what they are for, and not colours or includes', () => {
    const hits = (line: string) => findings('x', line).length;
    // Spelled in pieces, so that this file does not match itself.
    const bad = [
      ['see issue', ' 4'],
      ['(Issue #', '12)'],
      ['fixed in #', '37'],
      ['from /wo', 'rk/x.md'],
      ['..', '/shared/a'],
      ['coo', 'rd/API.md'],
    ].map((parts) => parts.join(''));
    for (const line of bad) {
      expect(hits(line), line).toBeGreaterThan(0);
    }
    for (const line of ["color: '#555'", 'fill="#222"', '#include <map>', '## 2. Usage', 'a#1', 'issues are welcome']) {
      expect(hits(line), line).toBe(0);
    }
  });

  it('no tracked file has one', () => {
    const found: string[] = [];
    for (const file of trackedTextFiles()) {
      const bytes = fs.readFileSync(path.join(ROOT, file));
      if (bytes.includes(0)) continue; // binary
      found.push(...findings(file, bytes.toString('utf8')));
    }
    expect(found).toEqual([]);
  });
});
