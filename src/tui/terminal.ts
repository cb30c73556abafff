/**
 * The terminal around the explorer: the alternate screen buffer (entered once, left exactly
 * once: on quit, on a signal, on an exception, on process exit) and the keyboard when standard
 * input carries the dump (`kubechains -`).
 */
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';

export const ENTER_ALT_SCREEN = '\x1b[?1049h';
export const LEAVE_ALT_SCREEN = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';

export class AltScreen {
  private active = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  enter(): void {
    if (this.active) return;
    this.active = true;
    this.out.write(ENTER_ALT_SCREEN);
  }

  /** Back to the shell's screen with the cursor visible; safe to call any number of times. */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    this.out.write(SHOW_CURSOR + LEAVE_ALT_SCREEN);
  }
}

/**
 * Standard input when it is a terminal; else the controlling terminal (/dev/tty), since stdin
 * held the dump. Returns null when there is no terminal to read keys from.
 */
export function openKeyboard(stdin: NodeJS.ReadStream, stdinIsDump: boolean): { stream: NodeJS.ReadStream; close(): void } | null {
  if (stdin.isTTY && !stdinIsDump) return { stream: stdin, close: () => undefined };
  try {
    const tty = new ReadStream(openSync('/dev/tty', 'r'));
    return { stream: tty as NodeJS.ReadStream, close: () => tty.destroy() };
  } catch {
    return null;
  }
}
