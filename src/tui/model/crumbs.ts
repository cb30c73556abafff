/** Breadcrumb labels and how they fit one line: hashed kube-proxy chain names shrink first. */
import { builtinChains } from '../../core/parse/index.js';
import type { Frame } from '../state.js';
import { display, keepEnd } from './format.js';

export const CRUMB_SEPARATOR = ' > ';

export function crumbLabel(frame: Frame): string {
  const s = frame.screen;
  switch (s.kind) {
    case 'services': return 'Services';
    case 'hooks': return 'Hooks';
    case 'problems': return 'Problems';
    case 'top': return 'Top';
    case 'chain': {
      const builtin = builtinChains(s.ref.table).includes(s.ref.chain);
      const v6 = s.ref.family === 'ipv6' ? ' (v6)' : '';
      return (builtin ? `${s.ref.table} ${s.ref.chain}` : s.ref.chain) + v6;
    }
    case 'set': return `@${s.ref.name}`;
    case 'service': return s.id;
    case 'trace': return 'Trace';
    case 'diff': return `Diff ${s.path}`;
    case 'help': return 'Help';
  }
}

const HASHED = /^(KUBE-(?:SVC|SVL|EXT|FW|XLB|SEP)-)([A-Z2-7]{16})$/;

/**
 * The trail in at most `width` columns: as is; else hashed names (all but the last) cut to 4
 * characters, then to "KUBE-SVC-…"; else the end of the trail.
 */
export function fitCrumbs(raw: readonly string[], width: number): string {
  const crumbs = raw.map(display);
  const join = (c: readonly string[]) => c.join(CRUMB_SEPARATOR);
  let text = join(crumbs);
  if (text.length <= width) return text;
  for (const keep of [4, 0]) {
    const shortened = crumbs.map((c, i) => {
      if (i === crumbs.length - 1) return c;
      const m = HASHED.exec(c);
      return m ? `${m[1]}${m[2]!.slice(0, keep)}…` : c;
    });
    text = join(shortened);
    if (text.length <= width) return text;
  }
  return keepEnd(text, width);
}
