// A child process that saves a map in a loop and reports each finished
// save, for the kill -9 during save tests: killed just after a report, the
// kill lands in the next save more often than not.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const entry = path.join(__dirname, '..', 'dist', 'src', 'index.js');

/**
 * Runs `source` in a child: it finds the package as `require(process.env.TOPHASH_ENTRY)`, the
 * file to save to in `process.env.TOPHASH_SNAPSHOT`, and calls `process.send(generation)` after
 * each save.
 */
export function saver(source: string, target: string): ChildProcess {
  return spawn(process.execPath, ['-e', source], {
    env: { ...process.env, TOPHASH_ENTRY: entry, TOPHASH_SNAPSHOT: target },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Resolves with the last generation reported once `after` saves were, having killed the child. */
export function killAfter(child: ChildProcess, after: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let last = 0;
    child.on('message', (gen: number) => {
      last = gen;
      if (gen === after) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`the saver exited with ${code} before it was killed`));
    });
  });
}
