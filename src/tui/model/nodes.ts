/**
 * What the screens of one node's rules know of the other nodes (`kubechains --nodes`): which node
 * is current, which services diverge across the nodes read and on which nodes. Absent (null)
 * when the explorer shows a single dump.
 */
import { createContext, useContext } from 'react';
import { differingNodes, type ServiceAcrossNodes } from '../../core/index.js';

export interface NodesInApp {
  /** The node whose rules every screen shows. */
  readonly current: string;
  /** Service id -> its row across nodes, for the services that diverge. */
  readonly diverging: ReadonlyMap<string, ServiceAcrossNodes>;
  /** Back to the Nodes screen (N). */
  back(): void;
}

export const NodesContext = createContext<NodesInApp | null>(null);

export function useNodes(): NodesInApp | null {
  return useContext(NodesContext);
}

/** The services column's mark: "≠" (ASCII "!=") on a service that differs across nodes. */
export function divergeMark(nodes: NodesInApp, id: string, ascii: boolean): string {
  if (!nodes.diverging.has(id)) return '  ';
  return ascii ? '!=' : '≠ ';
}

/** "differs across nodes: node-b has 3 endpoints, node-c lacks it; 2 others have 2" for the detail pane. */
export function divergeDetail(nodes: NodesInApp, id: string): string | null {
  const row = nodes.diverging.get(id);
  if (!row) return null;
  const odd = differingNodes(row);
  const parts = odd.map((name) => {
    const set = row.nodes.get(name);
    return set === null || set === undefined ? `${name} lacks it` : `${name} has ${set.length} endpoint${set.length === 1 ? '' : 's'}`;
  });
  const rest = row.nodes.size - odd.length;
  const common = [...row.nodes].find(([name]) => !odd.includes(name))?.[1];
  if (rest > 0) parts.push(`${rest} other${rest === 1 ? '' : 's'} ${common === null || common === undefined ? 'lack it' : `have ${common.length}`}`);
  return `differs across nodes: ${parts.join(', ')}`;
}
