// The probe's command line, shared by `npm run probe` and `tophash probe` so
// both accept the same flags; `prog` is what the usage line calls it.
import { parseArgs } from 'node:util';

import { collect } from './report';
import { renderTable } from './table';

function usage(prog: string): string {
  return `Usage: ${prog} [--json] [--no-calibrate]

  --json          print one JSON object instead of tables
  --no-calibrate  skip the per-kernel timings
  -h, --help      show this help
`;
}

/** Runs the probe with `argv` (the arguments after the program); returns the exit status. */
export function probeMain(argv: string[], prog: string): number {
  let values: { json?: boolean; calibrate?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        calibrate: { type: 'boolean', default: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowNegative: true,
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`probe: ${(err as Error).message}\n\n${usage(prog)}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage(prog));
    return 0;
  }
  const report = collect({ calibrate: values.calibrate !== false });
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderTable(report));
  return 0;
}
