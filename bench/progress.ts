// Progress on stderr (stdout carries the Markdown report): a cli-progress bar
// on a TTY, one plain line per step otherwise (CI logs).
// cli-progress is a dev dependency: an installed tophash (`tophash bench`) prints plain lines.
import type * as CliProgress from 'cli-progress';

export interface Progress {
  /** Announces the step about to run; counts the previous one as done. */
  step(label: string): void;
  /** A free-form note (key generation, warnings): printed to stderr above the bar. */
  note(message: string): void;
  /** Writes report text to stdout without tearing the bar (on a TTY both usually share the terminal). */
  print(text: string): void;
  stop(): void;
}

export function createProgress(total: number, enabled = true): Progress {
  const started = performance.now();
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)}s`;
  if (!enabled) {
    return { step() {}, note() {}, print: (text) => void process.stdout.write(text), stop() {} };
  }
  const lib = process.stderr.isTTY ? loadCliProgress() : null;
  if (lib === null) {
    let done = 0;
    return {
      step(label) {
        done++;
        process.stderr.write(`[${elapsed()}] (${done}/${total}) ${label}\n`);
      },
      note(message) {
        process.stderr.write(`[${elapsed()}] ${message}\n`);
      },
      print: (text) => void process.stdout.write(text),
      stop() {},
    };
  }
  const bar = new lib.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {value}/{total} | {duration_formatted} | {label}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      fps: 5,
    },
    lib.Presets.shades_classic,
  );
  let value = 0;
  bar.start(total, 0, { label: 'starting' });
  return {
    step(label) {
      // The bar shows the number of finished steps; the label names the running one.
      bar.update(value, { label });
      value++;
    },
    note(message) {
      // Clear the bar's line, print the note, let the next update redraw the bar.
      process.stderr.write(`\r\x1b[2K${message}\n`);
      bar.update(value);
    },
    print(text) {
      process.stderr.write('\r\x1b[2K');
      process.stdout.write(text);
      bar.update(value);
    },
    stop() {
      bar.update(total, { label: 'done' });
      bar.stop();
    },
  };
}

function loadCliProgress(): typeof CliProgress | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('cli-progress') as typeof CliProgress;
  } catch {
    return null;
  }
}
