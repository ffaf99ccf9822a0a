// Loaded first by the tophash/prom entry point. prom-client is an optional peer dependency, so a
// project that never installed it would otherwise get a bare "Cannot find module 'prom-client'"
// from deep inside tophash, with nothing saying whose dependency it is or what to do.
import { createRequire } from 'node:module';

const requireHere = createRequire(__filename);
try {
  requireHere.resolve('prom-client');
} catch (err) {
  if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw err;
  throw Object.assign(
    new Error(
      "tophash/prom needs prom-client, an optional peer dependency of tophash that is not installed: run 'npm install prom-client' (version 15)",
      { cause: err },
    ),
    { code: 'MODULE_NOT_FOUND' },
  );
}
