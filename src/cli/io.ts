/**
 * The CLI's only doors to the outside: two writers and standard input. Commands get an Output,
 * never process.stdout, so tests run them in-process and every line of text is escaped once.
 */
import { escapeForTerminal } from '../core/index.js';

export const EXIT_OK = 0;
/** The question has no answer: unknown service or chain. */
export const EXIT_NO_ANSWER = 1;
/** Bad input or usage. */
export const EXIT_USAGE = 2;
/** A bug in kubechains (EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

export interface Writer {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIO {
  readonly stdout: Writer;
  readonly stderr: Writer;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Loads src/tui/run.js; tests hand in their own (the default is a dynamic import). */
  readonly importExplorer?: () => Promise<unknown>;
}

export class Output {
  constructor(private readonly io: CliIO) {}

  /** One line of text for people; anything from a dump in it is escaped here. */
  line(text = ''): void {
    this.io.stdout.write(escapeForTerminal(text) + '\n');
  }

  /**
   * JSON for scripts. JSON.stringify escapes C0 controls and lone surrogates but leaves DEL, the
   * C1 controls (U+009B is a CSI on many terminals), the bidi formatting characters and the line
   * and paragraph separators raw; they are escaped too, as JSON allows (`\u009b`, `\u202e`), so
   * `--json` printed on a terminal is as safe as text. Parsed, the values are exact.
   */
  json(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2).replace(JSON_LEAVES_RAW, jsonEscape) + '\n');
  }

  /** One line on standard error, escaped. */
  error(text: string): void {
    this.io.stderr.write(escapeForTerminal(text) + '\n');
  }

  /**
   * Width tables are fitted to: the terminal's. Null when writing to a pipe or file, where
   * cutting an id would break grep and copy-paste (scripts have --json anyway).
   */
  get tableWidth(): number | null {
    const { stdout } = this.io;
    return stdout.isTTY && stdout.columns && stdout.columns > 0 ? stdout.columns : null;
  }
}

// Outside strings JSON text has no such characters, so replacing them everywhere is safe.
/** What JSON.stringify leaves raw of what escapeForTerminal escapes (it escapes C0 and lone surrogates itself). */
const JSON_LEAVES_RAW = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function jsonEscape(c: string): string {
  return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
}
