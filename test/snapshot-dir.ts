// A scratch directory per suite for snapshot files, removed when it ends.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';

export function snapshotDir(label: string): (name: string) => string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tophash-${label}-`));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return (name) => path.join(dir, name);
}
