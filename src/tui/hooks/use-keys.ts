/**
 * The keyboard has one owner at a time (a screen, or the command line). Each owner's hook reads
 * keys with Ink's useInput while active; the keys of one input event are queued and handed out
 * one by one, and when a key passes the keyboard to another owner (":" opens the command line,
 * Enter opens a screen) the rest of the queue waits for that owner's hook to take it.
 */
import { createContext, useContext, useEffect, useRef } from 'react';
import { useInput } from 'ink';
import { splitKeys, type KeyPress } from '../keys/keypress.js';
import { current, type Frame, type Screen, type Store } from '../state.js';

export interface KeyQueue {
  readonly pending: KeyPress[];
  /** Who owns the keyboard now (from the latest state, not the latest render). */
  owner(): string;
}

export const KeyQueueContext = createContext<KeyQueue>({ pending: [], owner: () => '' });

export function useKeys(owner: string, handler: (k: KeyPress) => void, isActive: boolean): void {
  const queue = useContext(KeyQueueContext);
  const handlerRef = useRef(handler);
  handlerRef.current = handler;

  const drain = () => {
    while (queue.pending.length > 0 && queue.owner() === owner) handlerRef.current(queue.pending.shift()!);
  };

  useInput(
    (input, key) => {
      queue.pending.push(...splitKeys(input, key));
      drain();
    },
    { isActive },
  );

  // Keys left over from an event that handed the keyboard to this owner.
  useEffect(() => {
    if (isActive) drain();
  });
}

/** A frame whose screen is of kind `K`. */
export type FrameOf<K extends Screen['kind']> = Frame & { readonly screen: Extract<Screen, { kind: K }> };

/** useKeys for screen `kind`: the handler gets each key with the top frame, while that frame is such a screen. */
export function useScreenKeys<K extends Screen['kind']>(kind: K, store: Store, active: boolean, handler: (k: KeyPress, frame: FrameOf<K>) => void): void {
  useKeys(
    kind,
    (k) => {
      const frame = current(store.get());
      if (frame.screen.kind === kind) handler(k, frame as FrameOf<K>);
    },
    active,
  );
}
