/**
 * useReducer with a synchronous read: key handlers read `get()` so that the keys of one input
 * event (a pasted "/nginx") each see the state the previous key left, not the last render's.
 */
import { useCallback, useRef, useState } from 'react';
import { reducer, type Action, type State, type Store } from '../state.js';

export function useStore(init: () => State): Store {
  const ref = useRef<State | null>(null);
  if (ref.current === null) ref.current = init();
  const [state, setState] = useState<State>(ref.current);
  const get = useCallback(() => ref.current!, []);
  const dispatch = useCallback((action: Action) => {
    ref.current = reducer(ref.current!, action);
    setState(ref.current);
  }, []);
  return { state, get, dispatch };
}
