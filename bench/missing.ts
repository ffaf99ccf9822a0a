// The bench's comparison and chart packages are dev dependencies, absent from
// an installed tophash: this tells "a package is not installed" (skip that
// part, say which package) apart from every other failure (a bug: rethrow).
import * as path from 'node:path';

/** Why `err` means a package is missing (with the command that installs it), or null for any other error. */
export function missingPackage(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown };
  if (e.code !== 'MODULE_NOT_FOUND' || typeof e.message !== 'string') return null;
  const name = /Cannot find (?:module|package) '([^']+)'/.exec(e.message)?.[1];
  if (name === undefined) return e.message.split('\n')[0];
  if (name.startsWith('.') || path.isAbsolute(name)) return null;
  return `needs ${name}, which is not installed (npm install ${name})`;
}
