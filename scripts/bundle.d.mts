/** Types of scripts/bundle.mjs for the tests that build the bundle. */
import type { BuildResult } from 'esbuild';

export function bundle(options?: { readonly outfile?: string }): Promise<BuildResult>;
