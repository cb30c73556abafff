/**
 * One pass over nft's text syntax (both `nft list ruleset` and the `nft -f` input form): words,
 * quoted strings, braces, `;`, `,`, newlines and `# handle N` comments. The lexer does not
 * allocate a token array: the parser reads the current token from its fields and calls next(),
 * so a 20 MB listing costs one substring per word and nothing per line.
 */

export const EOF: number = 0;
export const NL: number = 1;
export const WORD: number = 2;
export const STRING: number = 3;
export const LBRACE: number = 4;
export const RBRACE: number = 5;
export const SEMI: number = 6;
export const COMMA: number = 7;
/** A `# handle N` comment; `text` holds N. Other comments are skipped. */
export const HANDLE: number = 8;

export type TokenKind = number;

export const TOKEN_NAMES = ['end of input', 'end of line', 'word', 'string', '"{"', '"}"', '";"', '","', '"# handle"'];

export interface LexError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

interface LexState {
  pos: number;
  line: number;
  lineStart: number;
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  tokLine: number;
  tokCol: number;
  spaceBefore: boolean;
  prevEnd: number;
}

const HANDLE_PREFIX = '# handle ';

export class Lexer {
  readonly src: string;
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  /** The current token. */
  kind: TokenKind = EOF;
  text = '';
  /** Offsets of the current token in src (for raw text of statements kubechains does not know). */
  start = 0;
  end = 0;
  tokLine = 1;
  tokCol = 1;
  /** Whether whitespace separated the current token from the previous one. */
  spaceBefore = false;
  /** End offset of the token before the current one (where a rule's text ends). */
  prevEnd = 0;
  readonly errors: LexError[] = [];

  constructor(src: string) {
    this.src = src;
    this.next();
  }

  next(): void {
    this.prevEnd = this.end;
    const s = this.src;
    const n = s.length;
    let i = this.pos;
    let space = false;
    for (;;) {
      if (i >= n) {
        this.set(EOF, '', i, i, space);
        this.pos = i;
        return;
      }
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
        i++;
        space = true;
        continue;
      }
      if (c === 10) {
        this.set(NL, '\n', i, i + 1, space);
        this.pos = i + 1;
        this.line++;
        this.lineStart = i + 1;
        return;
      }
      if (c === 35 /* # */) {
        let j = s.indexOf('\n', i);
        if (j < 0) j = n;
        if (s.startsWith(HANDLE_PREFIX, i)) {
          let k = i + HANDLE_PREFIX.length;
          while (k < j && s.charCodeAt(k) >= 48 && s.charCodeAt(k) <= 57) k++;
          if (k > i + HANDLE_PREFIX.length) {
            this.set(HANDLE, s.slice(i + HANDLE_PREFIX.length, k), i, j, space);
            this.pos = j;
            return;
          }
        }
        i = j;
        space = true;
        continue;
      }
      if (c === 123) return this.single(LBRACE, '{', i, space);
      if (c === 125) return this.single(RBRACE, '}', i, space);
      if (c === 59) return this.single(SEMI, ';', i, space);
      if (c === 44) return this.single(COMMA, ',', i, space);
      if (c === 34 /* " */) {
        let j = i + 1;
        let escaped = false;
        while (j < n) {
          const d = s.charCodeAt(j);
          if (d === 10) break;
          if (d === 92 /* \ */ && j + 1 < n && s.charCodeAt(j + 1) !== 10) {
            escaped = true;
            j += 2;
            continue;
          }
          if (d === 34) break;
          j++;
        }
        if (j >= n || s.charCodeAt(j) !== 34) {
          this.errors.push({ message: 'unterminated string', line: this.line, column: i - this.lineStart + 1 });
          const body = s.slice(i + 1, j);
          this.set(STRING, escaped ? unescape(body) : body, i, j, space);
          this.pos = j;
          return;
        }
        const body = s.slice(i + 1, j);
        this.set(STRING, escaped ? unescape(body) : body, i, j + 1, space);
        this.pos = j + 1;
        return;
      }
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === 32 || d === 9 || d === 10 || d === 13 || d === 123 || d === 125 || d === 59 || d === 44 || d === 34) break;
        j++;
      }
      this.set(WORD, s.slice(i, j), i, j, space);
      this.pos = j;
      return;
    }
  }

  /** The kind of the token after the current one, without moving. */
  peekKind(): TokenKind {
    const saved = this.save();
    this.next();
    const kind = this.kind;
    this.restore(saved);
    return kind;
  }

  /** The text of the token after the current one (a word's text, or '' for punctuation). */
  peekWord(): string | null {
    const saved = this.save();
    this.next();
    const word = this.kind === WORD ? this.text : null;
    this.restore(saved);
    return word;
  }

  /** Back to a token start (offset, line, line start): cheaper than save/restore, no object. */
  rewind(start: number, line: number, lineStart: number): void {
    this.pos = start;
    this.line = line;
    this.lineStart = lineStart;
    this.end = start;
    this.next();
  }

  /** Where the current line starts (with tokLine and start, what rewind() needs). */
  get currentLineStart(): number {
    return this.start - this.tokCol + 1;
  }

  save(): LexState {
    return {
      pos: this.pos,
      line: this.line,
      lineStart: this.lineStart,
      kind: this.kind,
      text: this.text,
      start: this.start,
      end: this.end,
      tokLine: this.tokLine,
      tokCol: this.tokCol,
      spaceBefore: this.spaceBefore,
      prevEnd: this.prevEnd,
    };
  }

  restore(state: LexState): void {
    this.pos = state.pos;
    this.line = state.line;
    this.lineStart = state.lineStart;
    this.kind = state.kind;
    this.text = state.text;
    this.start = state.start;
    this.end = state.end;
    this.tokLine = state.tokLine;
    this.tokCol = state.tokCol;
    this.spaceBefore = state.spaceBefore;
    this.prevEnd = state.prevEnd;
  }

  private single(kind: TokenKind, text: string, i: number, space: boolean): void {
    this.set(kind, text, i, i + 1, space);
    this.pos = i + 1;
  }

  private set(kind: TokenKind, text: string, start: number, end: number, space: boolean): void {
    this.kind = kind;
    this.text = text;
    this.start = start;
    this.end = end;
    this.tokLine = this.line;
    this.tokCol = start - this.lineStart + 1;
    this.spaceBefore = space;
  }
}

function unescape(body: string): string {
  return body.replace(/\\(.)/g, '$1');
}

/** How a token reads in an error message. */
export function describeToken(lx: Lexer): string {
  if (lx.kind === WORD) return `"${lx.text.length > 40 ? lx.text.slice(0, 40) + '…' : lx.text}"`;
  if (lx.kind === STRING) return 'a string';
  return TOKEN_NAMES[lx.kind] ?? 'token';
}
