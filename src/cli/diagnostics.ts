/** Parse problems on stderr as `FILE:LINE:COL: severity: message`, a few at a time. */
import type { Diagnostic } from '../core/parse/index.js';
import type { Output } from './io.js';

const SHOWN = 5;

/** Prints errors (when any) or warnings; returns true when the dump has errors and cannot be used. */
export function reportDiagnostics(label: string, diagnostics: readonly Diagnostic[], out: Output): boolean {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const shown = errors.length > 0 ? errors : diagnostics.filter((d) => d.severity === 'warning');
  for (const d of shown.slice(0, SHOWN)) out.error(`${label}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
  const more = shown.length - SHOWN;
  if (more > 0) out.error(`… and ${more} more ${errors.length > 0 ? 'error' : 'warning'}${more === 1 ? '' : 's'}`);
  return errors.length > 0;
}

/** How diagnostics name a source: the file path, or `<stdin>`, `<iptables-save -c>`, `<COMMAND>`. */
export function sourceLabel(origin: string, isFile: boolean): string {
  if (isFile) return origin;
  return origin.startsWith('<') ? origin : `<${origin}>`;
}
