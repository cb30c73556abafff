/** The one reader of rule text (src/core/parse/scanner.ts) and its option table (options.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OPT_COMMENT,
  OPT_DESTINATION,
  OPT_DPORT,
  OPT_GOTO,
  OPT_JUMP,
  OPT_MATCH,
  OPT_OTHER,
  OPT_SET,
  OPT_SOURCE,
  OPT_TO_DESTINATION,
  genericArity,
  genericName,
  genericOptionIdOf,
  optionId,
  optionIdOf,
} from '../../src/core/parse/options.js';
import {
  WORD_ESCAPED,
  WORD_BANG,
  WORD_NOT_ASCII,
  WORD_OPTION,
  WORD_QUOTED,
  WORD_UNBALANCED,
  WordScanner,
  WordSpans,
  isOptionSpan,
  splitWords,
  outsideQuotes,
} from '../../src/core/parse/scanner.js';
import { scanRule } from '../../src/core/kube/scan.js';
import { parseIptablesSave } from '../../src/core/parse/parser.js';
import { findArg } from '../../src/core/parse/query.js';
import { quoteSaveString } from '../../src/core/parse/serialize.js';
import { tokenize } from '../../src/core/parse/tokenize.js';

interface Seen {
  text: string;
  span: [number, number];
  flags: number;
}

function words(line: string, from = 0, to = line.length): Seen[] {
  const w = new WordScanner(line, from, to);
  const out: Seen[] = [];
  while (w.next()) out.push({ text: w.text(), span: [w.start, w.end], flags: w.flags });
  return out;
}

describe('WordScanner: where words are', () => {
  it('splits on spaces and tabs, runs of them included, and gives spans of the text', () => {
    expect(words('  -A  KUBE-SVC-X\t-j ACCEPT ')).toEqual([
      { text: '-A', span: [2, 4], flags: WORD_OPTION },
      { text: 'KUBE-SVC-X', span: [6, 16], flags: 0 },
      { text: '-j', span: [17, 19], flags: WORD_OPTION },
      { text: 'ACCEPT', span: [20, 26], flags: 0 },
    ]);
  });

  it('reads only text[from, to)', () => {
    expect(words('xx -p tcp yy', 3, 9).map((w) => w.text)).toEqual(['-p', 'tcp']);
    expect(words('', 0)).toEqual([]);
    expect(words('   \t ')).toEqual([]);
  });

  it('splitWords gives every word at once, as next() does one at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', ' ', '\t', '"', '\\', '!', '-p', '\u00e9'), { maxLength: 30 }), (parts) => {
        const line = parts.join('');
        const spans = new WordSpans(64);
        const from = Math.min(1, line.length);
        const count = splitWords(line, from, line.length, spans);
        const one = words(line, from);
        expect(count).toBe(one.length);
        let all = 0;
        for (let k = 0; k < count; k++) {
          expect({ span: [spans.starts[k], spans.ends[k]], flags: spans.flags[k] }).toEqual({ span: one[k]!.span, flags: one[k]!.flags });
          all |= one[k]!.flags;
        }
        expect(spans.allFlags).toBe(all);
      }),
      { numRuns: 500 },
    );
    expect(splitWords('a b c', 0, 5, new WordSpans(2))).toBe(-1);
    expect(splitWords('a b c', 0, 3, new WordSpans(2))).toBe(2);
  });

  it('can start over on another text', () => {
    const w = new WordScanner('a b');
    expect(w.next()).toBe(true);
    w.reset('c');
    expect(w.next() && w.text()).toBe('c');
    expect(w.next()).toBe(false);
  });
});

describe('WordScanner: quotes and backslashes, as iptables-restore reads them', () => {
  it('a quoted part keeps spaces, may sit inside a word, and its span includes the quotes', () => {
    expect(words('--comment "a b" x"y z"w ""')).toEqual([
      { text: '--comment', span: [0, 9], flags: WORD_OPTION },
      { text: 'a b', span: [10, 15], flags: WORD_QUOTED },
      { text: 'xy zw', span: [16, 23], flags: WORD_QUOTED },
      { text: '', span: [24, 26], flags: WORD_QUOTED },
    ]);
  });

  it('inside quotes a backslash makes the next character literal', () => {
    expect(words('"say \\"hi\\" \\\\o/"')).toEqual([{ text: 'say "hi" \\o/', span: [0, 17], flags: WORD_QUOTED | WORD_ESCAPED }]);
  });

  it('outside quotes a backslash is an ordinary character', () => {
    expect(words('a\\ b \\-p tcp\\')).toEqual([
      { text: 'a\\', span: [0, 2], flags: 0 },
      { text: 'b', span: [3, 4], flags: 0 },
      { text: '\\-p', span: [5, 8], flags: 0 },
      { text: 'tcp\\', span: [9, 13], flags: 0 },
    ]);
  });

  it('reads back what iptables-save writes for any comment (xtables_save_string)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (comment) => {
        const w = new WordScanner(`-m comment --comment ${quoteSaveString(comment)} -j X`);
        w.next();
        w.next();
        w.next();
        expect(w.next()).toBe(true);
        expect(w.text()).toBe(comment);
        expect(w.next() && w.text()).toBe('-j');
      }),
      { numRuns: 500 },
    );
  });

  it('an unclosed quote makes the word run to the end, and says where it opened', () => {
    const w = new WordScanner('-A X --comment ab"c d');
    w.next();
    w.next();
    w.next();
    expect(w.next()).toBe(true);
    expect(w.flags & WORD_UNBALANCED).toBe(WORD_UNBALANCED);
    expect([w.start, w.end, w.openQuote]).toEqual([15, 21, 17]);
    expect(w.next()).toBe(false);
    // An escaped quote does not close it.
    expect(words('"a\\"').map((x) => x.flags & WORD_UNBALANCED)).toEqual([WORD_UNBALANCED]);
  });

  it('marks characters outside printable ASCII, in quotes or not', () => {
    expect(words('\u00e9 "\u00e9" a\u0001 ok').map((x) => x.flags & WORD_NOT_ASCII)).toEqual([WORD_NOT_ASCII, WORD_NOT_ASCII, WORD_NOT_ASCII, 0]);
  });
});

describe('WordScanner: what a word is', () => {
  function classify(line: string): string[] {
    const w = new WordScanner(line);
    const out: string[] = [];
    while (w.next()) out.push(w.isBang() ? '!' : w.isOptionName() ? `opt:${w.option()}` : w.quoted ? 'quoted' : 'word');
    return out;
  }

  it('an option name is unquoted, two characters or more, starts with "-", and is no negative number', () => {
    expect(classify('-s --src -x --rsource - -1 -- "-s" -"s" s')).toEqual([
      `opt:${OPT_SOURCE}`, `opt:${OPT_SOURCE}`, `opt:${OPT_OTHER}`, `opt:${OPT_OTHER}`, 'word', 'word', `opt:${OPT_OTHER}`, 'quoted', 'quoted', 'word',
    ]);
  });

  it('flags say option name and negation, as the word methods do', () => {
    expect(words('-p ! "!" "-p" -1').map((x) => x.flags & (WORD_OPTION | WORD_BANG))).toEqual([WORD_OPTION, WORD_BANG, 0, 0, 0]);
  });

  it('negation is an unquoted "!" alone', () => {
    expect(classify('! -d "!" !! !x')).toEqual(['!', `opt:${OPT_DESTINATION}`, 'quoted', 'word', 'word']);
    const w = new WordScanner('"!"');
    w.next();
    expect([w.isBang(), w.is('!')]).toEqual([false, true]);
  });

  it('is() compares the word as read, quotes removed', () => {
    const w = new WordScanner('comment "comment" com"ment"');
    const seen: boolean[] = [];
    while (w.next()) seen.push(w.is('comment'), w.is('comm'));
    expect(seen).toEqual([true, false, true, false, true, false]);
  });

  it('isOptionSpan is the one definition the token-based readers use too', () => {
    expect(['-p', '--dport', '-', '-9', 'p', '--'].map((s) => isOptionSpan(s, 0, s.length))).toEqual([true, true, false, false, false, true]);
  });
});

describe('the option table', () => {
  it('maps every spelling of an option to one id', () => {
    expect([optionId('-s'), optionId('--source'), optionId('--src')]).toEqual([OPT_SOURCE, OPT_SOURCE, OPT_SOURCE]);
    expect([optionId('-j'), optionId('--jump'), optionId('-g'), optionId('--goto')]).toEqual([OPT_JUMP, OPT_JUMP, OPT_GOTO, OPT_GOTO]);
    expect([optionId('-m'), optionId('--match')]).toEqual([OPT_MATCH, OPT_MATCH]);
    expect([optionId('--dport'), optionId('--destination-port')]).toEqual([OPT_DPORT, OPT_DPORT]);
    expect([optionId('--comment'), optionId('--set'), optionId('--to-destination')]).toEqual([OPT_COMMENT, OPT_SET, OPT_TO_DESTINATION]);
  });

  it('gives 0 to names it does not list, near misses included', () => {
    for (const name of ['--sport', '--srcx', '--sr', '-x', '--comments', '--set-xmark', '--jum', '-', '', 'src', '--\u00e9rc']) {
      expect(optionId(name), name).toBe(OPT_OTHER);
    }
  });

  it('genericOptionIdOf knows the generic options alone', () => {
    for (const name of ['-s', '--src', '--destination', '-p', '--in-interface', '--out-interface', '--jump', '--goto', '--match', '--fragment', '-4', '-6']) {
      expect(genericOptionIdOf(name, 0, name.length), name).toBe(optionId(name));
    }
    for (const name of ['--comment', '--dport', '--set', '--mode', '--probability', '--random-fully', '--to-destination', '-x']) {
      expect(genericOptionIdOf(name, 0, name.length), name).toBe(OPT_OTHER);
    }
  });

  it('reads a name in place from a span of a longer text', () => {
    const line = '-A X --dport 80 --dst 1.1.1.1';
    expect(optionIdOf(line, 5, 12)).toBe(OPT_DPORT);
    expect(optionIdOf(line, 16, 21)).toBe(OPT_DESTINATION);
    expect(optionIdOf(line, 16, 20)).toBe(OPT_OTHER);
  });

  it('names generic options by their short spelling, with how many values they take', () => {
    expect([genericName(optionId('--destination')), genericArity(optionId('--destination'))]).toEqual(['-d', 1]);
    expect([genericName(optionId('--fragment')), genericArity(optionId('--fragment'))]).toEqual(['-f', 0]);
    expect([genericName(optionId('--jump')), genericArity(optionId('--jump'))]).toEqual(['-j', -1]);
    expect([genericName(optionId('--dport')), genericArity(optionId('--dport'))]).toEqual([undefined, -1]);
  });
});

describe('outsideQuotes', () => {
  it('tells whether a position lies in no quoted part, escaped quotes inside one included', () => {
    const s = '-A X --comment "a \\" --mode b" --mode random';
    expect(outsideQuotes(s, s.indexOf(' --mode'))).toBe(false);
    expect(outsideQuotes(s, s.lastIndexOf(' --mode'))).toBe(true);
    expect(outsideQuotes('-A X a\\" --mode x', 9)).toBe(false); // a backslash outside quotes escapes nothing
    expect(outsideQuotes('no quotes at all', 5)).toBe(true);
  });

  it('agrees with the words the scanner reads', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', ' ', '"', '\\', '-m', 'x y'), { maxLength: 20 }), (parts) => {
        const s = parts.join('');
        // Every word start the scanner finds after a space lies outside quotes.
        const w = new WordScanner(s);
        while (w.next()) if (w.start > 0 && (w.flags & WORD_UNBALANCED) === 0) expect(outsideQuotes(s, w.start - 1)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('tokenize reads words through the scanner', () => {
  it('gives each word its text, quoting and column', () => {
    expect(tokenize('[1:2] -A X -m comment --comment "a \\"b\\"" c\\d', 6)).toEqual({
      ok: true,
      tokens: [
        { text: '-A', quoted: false, column: 7 },
        { text: 'X', quoted: false, column: 10 },
        { text: '-m', quoted: false, column: 12 },
        { text: 'comment', quoted: false, column: 15 },
        { text: '--comment', quoted: false, column: 23 },
        { text: 'a "b"', quoted: true, column: 33 },
        { text: 'c\\d', quoted: false, column: 43 },
      ],
    });
  });

  it('reports an unclosed quote at the column it opened', () => {
    expect(tokenize('-A X --comment "x y')).toEqual({ ok: false, message: 'unbalanced quote: no closing "', column: 16 });
  });
});

describe('every reader takes a backslash outside quotes as an ordinary character', () => {
  it('the parser (fast and full path), the rule options and the kube fact scan', () => {
    const text = '*nat\n:X - [0:0]\n-A X -m comment --comment a\\"b c"\\ -d 10.0.0.1/32 -j ACC\\EPT\nCOMMIT\n';
    for (const fastPaths of [true, false]) {
      const rs = parseIptablesSave(text, { fastPaths });
      expect(rs.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const rule = rs.tables[0]!.rules[0]!;
      expect(rule.target).toBe('ACC\\EPT');
      expect(findArg(rule, '--comment')?.values).toEqual(['a\\b c\\']);
      expect(findArg(rule, '-d')?.values).toEqual(['10.0.0.1/32']);
      expect(scanRule(rule.text).comment).toBe('a\\b c\\');
      expect(scanRule(rule.text).destination).toBe('10.0.0.1/32');
    }
  });
});
