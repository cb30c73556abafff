#!/usr/bin/env node
/**
 * `npm run bundle`: dist/kubechains.mjs, the whole program in one file (Ink, React, fuse.js,
 * ink-select-input inside) to copy to a node and run with `node kubechains.mjs …` (Node >= 20),
 * no node_modules. esbuild bundles straight from src/ (TypeScript and JSX), in ~1 s.
 *
 * What one file needs that the checkout does not:
 * - The explorer is loaded with import() of a name in a variable (src/cli/explore.ts), which no
 *   bundler follows: it is rewritten to the literal module here, and the build fails if that
 *   code changes shape, rather than shipping a bundle without its explorer.
 * - CommonJS packages (React) require() node's modules: ESM output has no `require`, so the
 *   banner makes one with createRequire.
 * - Ink imports react-devtools-core only when DEV=true; it is not in the bundle, and Ink's own
 *   "not installed" message says so (its import fails as a missing module would).
 * - The version is read from package.json next to dist/cli in a checkout; the bundle has it
 *   written in (src/cli/version.ts).
 * - React's production build only (NODE_ENV): the explorer loads that build in a checkout too.
 * - yoga-layout 3 carries its wasm as base64 in its JavaScript: nothing to copy.
 *
 * Usage: node scripts/bundle.mjs [--outfile PATH]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const EXPLORER_IMPORT = 'import(TUI_MODULE)';
const DEVTOOLS_STUB = 'kubechains:no-react-devtools';

/** @type {import('esbuild').Plugin} */
const oneFile = {
  name: 'kubechains-one-file',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]cli[\\/]explore\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(EXPLORER_IMPORT)) {
        return { errors: [{ text: `${path.relative(repoRoot, args.path)} no longer loads the explorer with ${EXPLORER_IMPORT}: update scripts/bundle.mjs` }] };
      }
      return { contents: source.replace(EXPLORER_IMPORT, "import('../tui/run.js')"), loader: 'ts' };
    });
    // Ink's devtools module (imported only when DEV=true) pulls in react-devtools-core.
    b.onResolve({ filter: /^\.\/devtools\.js$/ }, (args) => (/[\\/]ink[\\/]/.test(args.importer) ? { path: DEVTOOLS_STUB, namespace: 'kubechains' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'kubechains' }, () => ({
      contents: "throw Object.assign(new Error('react-devtools-core is not in the kubechains bundle'), { code: 'ERR_MODULE_NOT_FOUND' });",
      loader: 'js',
    }));
  },
};

/** Builds the bundle at `outfile`; returns esbuild's result (warnings included). */
export async function bundle({ outfile = path.join(repoRoot, 'dist', 'kubechains.mjs') } = {}) {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  return build({
    entryPoints: [path.join(repoRoot, 'src', 'cli', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The react-jsx runtime, as tsconfig.json compiles it.
    jsx: 'automatic',
    define: {
      'process.env.NODE_ENV': '"production"',
      KUBECHAINS_BUNDLED_VERSION: JSON.stringify(String(pkg.version)),
    },
    banner: { js: "import { createRequire as __kubechainsCreateRequire } from 'node:module';\nconst require = __kubechainsCreateRequire(import.meta.url);" },
    plugins: [oneFile],
    // run.ts sets NODE_ENV for a checkout's lazy load of React; here the define has decided it already.
    logOverride: { 'assign-to-define': 'silent' },
    legalComments: 'eof',
    logLevel: 'warning',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--outfile');
  const outfile = at > 0 ? path.resolve(process.argv[at + 1] ?? '') : undefined;
  try {
    await bundle(outfile ? { outfile } : {});
  } catch {
    // esbuild has printed its errors.
    process.exit(1);
  }
}
