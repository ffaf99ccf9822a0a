// npm run probe: what this machine offers tophash. CPU identity, core counts
// and caches, every feature the kernels care about, every kernel with
// supported/selected (and why: forced by TOPHASH_FORCE_* or best supported),
// and a quick ns-per-key calibration of each supported kernel.
//
//   node dist/scripts/probe.js                 aligned plain-text tables
//   node dist/scripts/probe.js --json          one JSON object (features as booleans)
//   node dist/scripts/probe.js --no-calibrate  skip the timings (~1 s)
import { parseArgs } from 'node:util';

import { collect } from './probe/report';
import { renderTable } from './probe/table';

const USAGE = `Usage: node dist/scripts/probe.js [--json] [--no-calibrate]

  --json          print one JSON object instead of tables
  --no-calibrate  skip the per-kernel timings
  -h, --help      show this help
`;

function main(argv: string[]): number {
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
    process.stderr.write(`probe: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const report = collect({ calibrate: values.calibrate !== false });
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderTable(report));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
