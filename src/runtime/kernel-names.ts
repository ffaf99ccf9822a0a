// The kernel names every off-heap class accepts: one definition below the maps,
// the BpfMap, the Aggregator and the hash functions, which all take them.

/**
 * A tophash match kernel: `scalar` and `swar` run anywhere, `sse2`, `avx2` and `avx512` on x86-64,
 * `neon` on Arm. {@link kernels} lists which ones this CPU supports.
 */
export type MatchKernelName = 'scalar' | 'swar' | 'sse2' | 'avx2' | 'avx512' | 'neon';
/**
 * A hash kernel: `aes` (AES-NI), `vaes` (256-bit VAES) and `aes-portable` (software AES) give
 * bit-identical results; `fold` is a scalar multiply-fold with its own output.
 */
export type HashKernelName = 'aes' | 'vaes' | 'aes-portable' | 'fold';
