/** Whether this is the one-file bundle (scripts/bundle.mjs defines the constant; a checkout does not). */
declare const KUBECHAINS_BUNDLED_VERSION: string | undefined;

/** The package version written into dist/kubechains.mjs; null in a checkout. */
export function bundledVersion(): string | null {
  return typeof KUBECHAINS_BUNDLED_VERSION === 'string' ? KUBECHAINS_BUNDLED_VERSION : null;
}
