// npm run probe: what this machine offers tophash. CPU identity, core counts
// and caches, every feature the kernels care about, every kernel with
// supported/selected (and why: forced by TOPHASH_FORCE_* or best supported),
// and a quick ns-per-key calibration of each supported kernel. Installed
// packages run the same thing as `tophash probe` (scripts/cli.ts).
//
//   node dist/scripts/probe.js                 aligned plain-text tables
//   node dist/scripts/probe.js --json          one JSON object (features as booleans)
//   node dist/scripts/probe.js --no-calibrate  skip the timings (~1 s)
import { probeMain } from './probe/main';

process.exitCode = probeMain(process.argv.slice(2), 'node dist/scripts/probe.js');
