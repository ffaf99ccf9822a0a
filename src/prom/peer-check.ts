// Loaded first by the tophash/prom entry point. prom-client is an optional peer dependency, so a
// project that never installed it would otherwise get a bare "Cannot find module 'prom-client'"
// from deep inside tophash, with nothing saying whose dependency it is or what to do.
//
// A plain require() of the literal name, not require.resolve(): bundlers see it and point it at the
// bundled copy, where a resolve() at run time would look for a node_modules that is not there.
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('prom-client');
} catch (err) {
  const { code, message } = err as { code?: unknown; message?: unknown };
  // A module missing inside prom-client is prom-client's problem, not a missing install.
  if (code !== 'MODULE_NOT_FOUND' || typeof message !== 'string' || !message.includes("'prom-client'")) throw err;
  throw Object.assign(
    new Error(
      "tophash/prom needs prom-client, an optional peer dependency of tophash that is not installed: run 'npm install prom-client' (version 15)",
      { cause: err },
    ),
    { code: 'MODULE_NOT_FOUND' },
  );
}
