import type { Connections } from '../model/connections.js';
import type { ExplorerData } from '../model/explorer-data.js';
import type { Frame, Store } from '../state.js';

/** What every screen gets: the snapshot's data, the store, the frame on top, its box, and the keyboard. */
export interface ScreenProps {
  readonly data: ExplorerData;
  readonly store: Store;
  readonly frame: Frame;
  readonly width: number;
  /** Lines the screen must fill exactly. */
  readonly height: number;
  /** True when this screen owns the keyboard (no `:` line open). */
  readonly active: boolean;
  /**
   * Deltas and rates are worth columns: a live source feeds the explorer, or the data has a
   * previous snapshot. Without, chain and tree rows keep the room for their text.
   */
  readonly counting?: boolean;
  /** Live connections (a conntrack source is given: --conntrack, --conntrack-cmd, the local node); null without one. */
  readonly connections?: Connections | null;
}
