/**
 * nft's text syntax, both forms in one grammar:
 *  - `nft list ruleset` (with or without -a): `table ip t { chain c { type …; policy …; rules } set s { … } }`;
 *  - the `nft -f` input kube-proxy writes: `add table|chain|set|map|rule|element …`, `flush …`,
 *    `delete …`, `insert rule …`, applied in order.
 * nft accepts table blocks inside an input file too, so the two are read by the same loop.
 */
import type { NftBaseChain, NftChain, NftElement, NftFamily, NftForm, NftRuleset, NftSet, NftTable } from '../types.js';
import { RulesetBuilder, type Position } from './builder.js';
import { COMMA, EOF, HANDLE, LBRACE, Lexer, NL, RBRACE, SEMI, STRING, WORD, describeToken } from './lexer.js';
import { parseElementList, parseRuleStatements, type ParsedElement } from './statements.js';
import { isFamily, isSignedInteger, parseDuration, priorityName } from './values.js';

/** Key types whose values are names, kept as strings (`ifname`). */
const STRING_KEY_TYPES = new Set(['ifname', 'string']);

/** Named objects kubechains does not model, skipped inside table blocks without complaint. */
const SKIPPED_TABLE_OBJECTS = new Set(['flowtable', 'counter', 'quota', 'ct', 'limit', 'secmark', 'synproxy']);

export function parseNftText(src: string, form: NftForm): NftRuleset {
  const parser = new TextParser(src, form === 'transaction');
  parser.run();
  return parser.finish(form);
}

class TextParser {
  private readonly lx: Lexer;
  private readonly b = new RulesetBuilder();

  constructor(
    src: string,
    /** Transaction form: rule text is rendered (not what nft prints), a repeated `add element` keeps one element. */
    private readonly transaction: boolean,
  ) {
    this.lx = new Lexer(src);
  }

  finish(form: NftForm): NftRuleset {
    for (const e of this.lx.errors) this.b.error(e.message, e);
    this.b.diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    return this.b.finish(form);
  }

  private pos(): Position {
    return { line: this.lx.tokLine, column: this.lx.tokCol };
  }

  private errorHere(message: string): void {
    this.b.error(message, this.pos());
  }

  private isWord(w: string): boolean {
    return this.lx.kind === WORD && this.lx.text === w;
  }

  /** Skip to the end of the line at brace depth 0 (after an error), balanced braces included. */
  private skipLine(): void {
    const lx = this.lx;
    let depth = 0;
    while (lx.kind !== EOF) {
      if (lx.kind === LBRACE) depth++;
      else if (lx.kind === RBRACE) {
        if (depth === 0) return;
        depth--;
      } else if (depth === 0 && (lx.kind === NL || lx.kind === SEMI)) return;
      lx.next();
    }
  }

  /** After a command: a line end, `;` or the end, else an error and the rest of the line skipped. */
  private endCommand(): void {
    const lx = this.lx;
    if (lx.kind === HANDLE) lx.next();
    if (lx.kind === NL || lx.kind === SEMI || lx.kind === EOF) return;
    this.errorHere(`unexpected ${describeToken(lx)}`);
    this.skipLine();
  }

  private name(what: string): string | null {
    const lx = this.lx;
    if (lx.kind === WORD || lx.kind === STRING) {
      const n = lx.text;
      lx.next();
      return n;
    }
    this.errorHere(`expected ${what}, found ${describeToken(lx)}`);
    return null;
  }

  /** `[family] name`: nft's family keywords are reserved words, so a leading one is the family. */
  private family(): NftFamily {
    const lx = this.lx;
    if (lx.kind === WORD && isFamily(lx.text)) {
      const f = lx.text as NftFamily;
      lx.next();
      return f;
    }
    return 'ip';
  }

  /** `[family] table name` → the table (which must exist) and the object's name. */
  private objectSpec(what: string): { table: NftTable; name: string; at: Position } | null {
    const at = this.pos();
    const family = this.family();
    const tableName = this.name('a table name');
    if (tableName === null) return null;
    const nameAt = this.pos();
    const name = this.name(`a ${what} name`);
    if (name === null) return null;
    const table = this.b.needTable(family, tableName, at);
    if (!table) return null;
    return { table, name, at: nameAt };
  }

  private handleAfterBrace(): number | null {
    const lx = this.lx;
    if (lx.kind === HANDLE) {
      const h = Number(lx.text);
      lx.next();
      return h;
    }
    return null;
  }

  private skipSeparators(): void {
    const lx = this.lx;
    while (lx.kind === NL || lx.kind === SEMI) lx.next();
  }

  /** The end of a block opened at `open`; reports an unclosed brace at EOF. Returns false at EOF. */
  private blockEnds(open: Position): boolean | null {
    const lx = this.lx;
    if (lx.kind === RBRACE) {
      lx.next();
      return true;
    }
    if (lx.kind === EOF) {
      this.b.error(`unbalanced braces: the "{" at ${open.line}:${open.column} is never closed (truncated input?)`, open);
      return null;
    }
    return false;
  }

  run(): void {
    const lx = this.lx;
    for (;;) {
      this.skipSeparators();
      if (lx.kind === HANDLE) {
        lx.next();
        continue;
      }
      if (lx.kind === EOF) return;
      if (lx.kind !== WORD) {
        this.errorHere(lx.kind === RBRACE ? 'unbalanced braces: "}" without "{"' : `unexpected ${describeToken(lx)}`);
        if (lx.kind === RBRACE) lx.next();
        this.skipLine();
        continue;
      }
      const cmd = lx.text;
      const at = this.pos();
      lx.next();
      switch (cmd) {
        case 'table':
          this.tableCommand(at);
          break;
        case 'add':
        case 'create':
          this.addCommand(cmd);
          break;
        case 'insert':
          if (this.isWord('rule')) {
            lx.next();
            this.ruleCommand(true);
          } else {
            this.errorHere(`expected "rule" after insert, found ${describeToken(lx)}`);
            this.skipLine();
          }
          break;
        case 'flush':
          this.flushCommand();
          break;
        case 'delete':
        case 'destroy':
          this.deleteCommand(cmd === 'destroy');
          break;
        case 'chain':
        case 'set':
        case 'map':
        case 'rule':
        case 'element':
          // nft accepts `chain …` for `add chain …` in input files
          this.addObject(cmd, at);
          break;
        case 'replace':
          this.b.warning('replace rule names a handle the transaction form does not know; ignored', at);
          this.skipLine();
          break;
        case 'define':
        case 'include':
          this.b.warning(`${cmd} is not followed: variables and included files are not read`, at);
          this.skipLine();
          break;
        default:
          this.b.error(`unknown command "${cmd}"`, at);
          this.skipLine();
          continue;
      }
      this.endCommand();
    }
  }

  private addCommand(cmd: string): void {
    const lx = this.lx;
    if (lx.kind !== WORD) {
      this.errorHere(`expected an object after ${cmd}, found ${describeToken(lx)}`);
      this.skipLine();
      return;
    }
    const what = lx.text;
    const at = this.pos();
    lx.next();
    if (what === 'table') this.tableCommand(at);
    else this.addObject(what, at);
  }

  private addObject(what: string, at: Position): void {
    switch (what) {
      case 'chain': {
        const spec = this.objectSpec('chain');
        if (!spec) return this.skipLine();
        const chain = this.b.addChain(spec.table, spec.name, at, null, null, null);
        if (this.lx.kind === LBRACE) this.chainBody(chain, spec.table);
        return;
      }
      case 'set':
      case 'map': {
        const spec = this.objectSpec(what);
        if (!spec) return this.skipLine();
        this.setBody(spec.table, spec.name, what, at);
        return;
      }
      case 'element': {
        const spec = this.objectSpec('set');
        if (!spec) return this.skipLine();
        const set = spec.table.setsByName.get(spec.name);
        if (!set) {
          this.b.error(`no set ${spec.name} in table ${spec.table.family} ${spec.table.name}`, spec.at);
          return this.skipLine();
        }
        const elements = this.elementList(set);
        if (elements) this.b.addElements(set, elements, this.transaction);
        return;
      }
      case 'rule':
        return this.ruleCommand(false);
      default:
        if (SKIPPED_TABLE_OBJECTS.has(what)) {
          this.b.warning(`${what} objects are not modelled; skipped`, at);
        } else {
          this.b.error(`unknown object "${what}"`, at);
        }
        this.skipLine();
    }
  }

  /** `table [family] name [{ body }]`, for `add table`, `create table` and the listing's blocks. */
  private tableCommand(at: Position): void {
    const lx = this.lx;
    const family = this.family();
    const name = this.name('a table name');
    if (name === null) return this.skipLine();
    if (lx.kind !== LBRACE) {
      this.b.addTable(family, name, at, null, null);
      return;
    }
    const open = this.pos();
    lx.next();
    const handle = this.handleAfterBrace();
    const table = this.b.addTable(family, name, at, handle, null);
    for (;;) {
      this.skipSeparators();
      const end = this.blockEnds(open);
      if (end !== false) return;
      if (lx.kind !== WORD) {
        this.errorHere(`unexpected ${describeToken(lx)} in table ${name}`);
        lx.next();
        this.skipLine();
        continue;
      }
      const w = lx.text;
      const wAt = this.pos();
      lx.next();
      if (w === 'comment') {
        const c = this.name('a comment string');
        if (c !== null) (table as { comment: string | null }).comment = c;
      } else if (w === 'flags') {
        while (lx.kind === WORD || lx.kind === COMMA) lx.next();
      } else if (w === 'chain') {
        const chainName = this.name('a chain name');
        if (chainName === null) {
          this.skipLine();
          continue;
        }
        const chain = this.b.addChain(table, chainName, wAt, null, null, null);
        if (lx.kind === LBRACE) this.chainBody(chain, table);
      } else if (w === 'set' || w === 'map') {
        const setName = this.name(`a ${w} name`);
        if (setName === null) {
          this.skipLine();
          continue;
        }
        this.setBody(table, setName, w, wAt);
      } else if (SKIPPED_TABLE_OBJECTS.has(w)) {
        this.skipLine();
      } else {
        this.b.error(`unknown statement "${w}" in table ${name}`, wAt);
        this.skipLine();
      }
      if (lx.kind !== RBRACE && lx.kind !== EOF && lx.kind !== NL && lx.kind !== SEMI) {
        this.errorHere(`unexpected ${describeToken(lx)}`);
        this.skipLine();
      }
    }
  }

  /** `{ type … hook … priority …; policy …; comment "…"; rules }` at the current `{`. */
  private chainBody(chain: NftChain, table: NftTable): void {
    const lx = this.lx;
    const open = this.pos();
    lx.next();
    const handle = this.handleAfterBrace();
    if (handle !== null) (chain as { handle: number | null }).handle = handle;
    for (;;) {
      this.skipSeparators();
      const end = this.blockEnds(open);
      if (end !== false) return;
      if (lx.kind === WORD && (lx.text === 'type' || lx.text === 'policy' || lx.text === 'comment' || lx.text === 'devices')) {
        const w = lx.text;
        const peek = lx.peekKind();
        if (w === 'comment' && (peek === STRING || peek === WORD)) {
          lx.next();
          (chain as { comment: string | null }).comment = lx.text;
          lx.next();
          continue;
        }
        if (w === 'type') {
          lx.next();
          this.baseChain(chain);
          continue;
        }
        if (w === 'policy') {
          lx.next();
          const p = this.name('a policy');
          if (p !== 'accept' && p !== 'drop') {
            if (p !== null) this.errorHere(`unknown policy "${p}"`);
            continue;
          }
          const base = chain.base;
          if (base) (chain as { base: NftBaseChain }).base = { ...base, policy: p };
          continue;
        }
        if (w === 'devices') {
          this.skipLine();
          continue;
        }
      }
      this.rule(chain, table, false);
    }
  }

  /** `type filter hook input [device "x"] priority filter + 5` (the `policy` may follow after `;`). */
  private baseChain(chain: NftChain): void {
    const lx = this.lx;
    const type = this.name('a chain type');
    if (type === null) return this.skipLine();
    if (!this.isWord('hook')) {
      this.errorHere(`expected "hook", found ${describeToken(lx)}`);
      return this.skipLine();
    }
    lx.next();
    const hook = this.name('a hook');
    if (hook === null) return this.skipLine();
    let device: string | null = null;
    if (this.isWord('device')) {
      lx.next();
      device = this.name('a device');
    } else if (this.isWord('devices')) {
      // `devices = { eth0, eth1 }` (netdev chains on several devices)
      lx.next();
      if (this.isWord('=')) lx.next();
      const names: string[] = [];
      if (lx.kind === LBRACE) {
        lx.next();
        while (lx.kind === WORD || lx.kind === STRING || lx.kind === COMMA || lx.kind === NL) {
          if (lx.kind === WORD || lx.kind === STRING) names.push(lx.text);
          lx.next();
        }
        if (lx.kind === RBRACE) lx.next();
      }
      device = names.join(',');
    }
    if (!this.isWord('priority')) {
      this.errorHere(`expected "priority", found ${describeToken(lx)}`);
      return this.skipLine();
    }
    lx.next();
    const prioAt = this.pos();
    const priority = this.priority(chain.family);
    if (priority === null) {
      this.b.error('expected a priority: a number or a name such as "dstnat - 10"', prioAt);
      return this.skipLine();
    }
    (chain as { base: NftBaseChain }).base = { type, hook, priority, policy: chain.base?.policy ?? 'accept', device };
  }

  private priority(family: NftFamily): number | null {
    const lx = this.lx;
    if (lx.kind !== WORD) return null;
    const w = lx.text;
    let value: number | null;
    if (isSignedInteger(w)) value = Number(w);
    else value = priorityName(family, w);
    if (value === null) return null;
    lx.next();
    if (lx.kind === WORD && (lx.text === '+' || lx.text === '-')) {
      const sign = lx.text === '+' ? 1 : -1;
      lx.next();
      if (lx.kind !== WORD || !isSignedInteger(lx.text)) return null;
      value += sign * Number(lx.text);
      lx.next();
    }
    return value;
  }

  /** A rule inside a chain block or after `add rule … CHAIN`. */
  private rule(chain: NftChain | null, table: NftTable, atStart: boolean): void {
    const lx = this.lx;
    const line = lx.tokLine;
    const at = { line, column: lx.tokCol };
    const start = lx.start;
    const parsed = parseRuleStatements(lx, table.family);
    const end = lx.prevEnd;
    let handle: number | null = null;
    if (lx.kind === HANDLE) {
      handle = Number(lx.text);
      lx.next();
    }
    if (parsed.expr.length === 0 && parsed.comment === null) {
      this.b.error('a rule needs at least one statement', at);
      return;
    }
    if (chain === null) return;
    this.b.addRule(chain, handle, at, parsed.expr, parsed.comment, this.transaction ? null : lx.src.slice(start, Math.max(start, end)).trim(), atStart);
  }

  /** `add|insert rule [family] table chain [position N | index N | handle N] statements`. */
  private ruleCommand(insert: boolean): void {
    const lx = this.lx;
    const spec = this.objectSpec('chain');
    if (!spec) return this.skipLine();
    const chain = spec.table.chainsByName.get(spec.name);
    if (!chain) {
      this.b.error(`no chain ${spec.name} in table ${spec.table.family} ${spec.table.name}`, spec.at);
      return this.skipLine();
    }
    if (this.isWord('position') || this.isWord('index') || this.isWord('handle')) {
      this.b.warning(`"${lx.text}" refers to rules the input does not number; the rule is placed at the ${insert ? 'start' : 'end'}`, this.pos());
      lx.next();
      lx.next();
    }
    this.rule(chain, spec.table, insert);
  }

  /** `{ type …; flags …; timeout …; size …; comment "…"; elements = { … } }` at the current `{`. */
  private setBody(table: NftTable, name: string, kind: 'set' | 'map', at: Position): void {
    const lx = this.lx;
    if (lx.kind !== LBRACE) {
      this.errorHere(`expected "{" after ${kind} ${name}, found ${describeToken(lx)}`);
      return this.skipLine();
    }
    const open = this.pos();
    lx.next();
    const handle = this.handleAfterBrace();
    let keyType: string[] = [];
    let dataType: string | null = null;
    let flags: string[] = [];
    let timeout: number | null = null;
    let comment: string | null = null;
    let pending: ParsedElement[] | null = null;
    for (;;) {
      this.skipSeparators();
      const end = this.blockEnds(open);
      if (end !== false) break;
      if (lx.kind !== WORD) {
        this.errorHere(`unexpected ${describeToken(lx)} in ${kind} ${name}`);
        lx.next();
        continue;
      }
      const w = lx.text;
      const wAt = this.pos();
      lx.next();
      switch (w) {
        case 'type': {
          const types = this.typeList();
          keyType = types.key;
          dataType = types.data;
          break;
        }
        case 'typeof': {
          const start = lx.start;
          while (lx.kind === WORD && lx.text !== ':') lx.next();
          keyType = [`typeof ${lx.src.slice(start, lx.prevEnd)}`];
          if (this.isWord(':')) {
            lx.next();
            const s2 = lx.start;
            while (lx.kind === WORD) lx.next();
            dataType = lx.src.slice(s2, lx.prevEnd);
          }
          break;
        }
        case 'flags':
          flags = [];
          while (lx.kind === WORD) {
            flags.push(lx.text);
            lx.next();
            if (lx.kind === COMMA) lx.next();
          }
          break;
        case 'timeout': {
          const t = lx.kind === WORD ? parseDuration(lx.text) : null;
          if (t === null) this.errorHere(`expected a duration, found ${describeToken(lx)}`);
          else timeout = t;
          if (lx.kind === WORD) lx.next();
          break;
        }
        case 'comment':
          comment = this.name('a comment string');
          break;
        case 'elements': {
          if (!this.isWord('=')) {
            this.errorHere(`expected "=", found ${describeToken(lx)}`);
            this.skipLine();
            break;
          }
          lx.next();
          const probe: NftSet = this.setObject(table, name, kind, keyType, dataType, [], null, null, at, null);
          pending = this.parseElements(probe);
          if (pending === null) this.skipLine();
          break;
        }
        case 'size':
        case 'gc-interval':
        case 'policy':
          if (lx.kind === WORD) lx.next();
          break;
        case 'counter':
        case 'auto-merge':
          break;
        default:
          this.b.error(`unknown ${kind} property "${w}"`, wAt);
          this.skipLine();
      }
    }
    const set = this.setObject(table, name, kind, keyType, dataType, flags, timeout, comment, at, handle);
    const existing = table.setsByName.get(name);
    const target = existing ?? this.b.addSet(table, set);
    if (pending) this.b.addElements(target, pending.map(toElement), this.transaction);
  }

  private setObject(
    table: NftTable,
    name: string,
    kind: 'set' | 'map',
    keyType: string[],
    dataType: string | null,
    flags: string[],
    timeout: number | null,
    comment: string | null,
    at: Position,
    handle: number | null,
  ): NftSet {
    return {
      family: table.family,
      table: table.name,
      name,
      kind,
      keyType,
      dataType,
      flags,
      timeout,
      comment,
      line: at.line,
      column: at.column,
      handle,
      elements: [],
    };
  }

  /** `ipv4_addr . inet_proto . inet_service [: verdict]`. */
  private typeList(): { key: string[]; data: string | null } {
    const lx = this.lx;
    const key: string[] = [];
    let data: string | null = null;
    while (lx.kind === WORD) {
      if (lx.text === '.') {
        lx.next();
        continue;
      }
      if (lx.text === ':') {
        lx.next();
        const parts: string[] = [];
        while (lx.kind === WORD) {
          if ((lx.text as string) !== '.') parts.push(lx.text);
          lx.next();
        }
        data = parts.join(' . ');
        break;
      }
      key.push(lx.text);
      lx.next();
    }
    if (key.length === 0) this.errorHere(`expected a type, found ${describeToken(lx)}`);
    return { key, data };
  }

  private parseElements(set: NftSet): ParsedElement[] | null {
    const lx = this.lx;
    const open = this.pos();
    if (lx.kind !== LBRACE) {
      this.errorHere(`expected "{", found ${describeToken(lx)}`);
      return null;
    }
    const stringKeys = set.keyType.map((t) => STRING_KEY_TYPES.has(t));
    const parsed = parseElementList(lx, stringKeys, set.kind === 'map' ? 'required' : 'none', parseDuration);
    if (parsed === null) {
      if (lx.kind === EOF) this.b.error(`unbalanced braces: the "{" at ${open.line}:${open.column} is never closed (truncated input?)`, open);
      else this.errorHere(`unexpected ${describeToken(lx)} in the elements of ${set.name}`);
    }
    return parsed;
  }

  private elementList(set: NftSet): NftElement[] | null {
    const parsed = this.parseElements(set);
    if (parsed === null) {
      this.skipLine();
      return null;
    }
    return parsed.map(toElement);
  }

  private flushCommand(): void {
    const lx = this.lx;
    const what = this.name('what to flush');
    if (what === null) return this.skipLine();
    if (what === 'ruleset') {
      const family = lx.kind === WORD && isFamily(lx.text) ? this.family() : null;
      for (const t of [...this.b.tables]) if (family === null || t.family === family) this.b.deleteTable(t.family, t.name);
      return;
    }
    if (what === 'table') {
      const at = this.pos();
      const family = this.family();
      const name = this.name('a table name');
      if (name === null) return this.skipLine();
      const table = this.b.needTable(family, name, at);
      if (!table) return;
      for (const c of table.chains) c.rules.length = 0;
      for (const s of table.sets) this.b.flushSet(s);
      return;
    }
    if (what === 'chain' || what === 'set' || what === 'map') {
      const spec = this.objectSpec(what);
      if (!spec) return this.skipLine();
      if (what === 'chain') {
        const chain = spec.table.chainsByName.get(spec.name);
        if (!chain) return this.b.error(`no chain ${spec.name} in table ${spec.table.family} ${spec.table.name}`, spec.at);
        chain.rules.length = 0;
      } else {
        const set = spec.table.setsByName.get(spec.name);
        if (!set) return this.b.error(`no ${what} ${spec.name} in table ${spec.table.family} ${spec.table.name}`, spec.at);
        this.b.flushSet(set);
      }
      return;
    }
    this.b.error(`cannot flush "${what}"`, this.pos());
    this.skipLine();
  }

  private deleteCommand(destroy: boolean): void {
    const lx = this.lx;
    const whatAt = this.pos();
    const what = this.name('what to delete');
    if (what === null) return this.skipLine();
    if (what === 'table') {
      const family = this.family();
      const name = this.name('a table name');
      if (name === null) return this.skipLine();
      if (!this.b.deleteTable(family, name) && !destroy) this.b.error(`no table ${family} ${name}`, whatAt);
      return;
    }
    if (what === 'rule') {
      this.b.warning('delete rule names a handle the transaction form does not know; ignored', whatAt);
      return this.skipLine();
    }
    if (what !== 'chain' && what !== 'set' && what !== 'map' && what !== 'element') {
      this.b.error(`cannot delete "${what}"`, whatAt);
      return this.skipLine();
    }
    const spec = this.objectSpec(what === 'element' ? 'set' : what);
    if (!spec) return this.skipLine();
    if (what === 'chain') {
      if (!this.b.deleteChain(spec.table, spec.name) && !destroy) {
        this.b.error(`no chain ${spec.name} in table ${spec.table.family} ${spec.table.name}`, spec.at);
      }
      return;
    }
    if (what === 'set' || what === 'map') {
      if (!this.b.deleteSet(spec.table, spec.name) && !destroy) {
        this.b.error(`no ${what} ${spec.name} in table ${spec.table.family} ${spec.table.name}`, spec.at);
      }
      return;
    }
    const set = spec.table.setsByName.get(spec.name);
    if (!set) {
      this.b.error(`no set ${spec.name} in table ${spec.table.family} ${spec.table.name}`, spec.at);
      return this.skipLine();
    }
    const keysAt = this.pos();
    // `delete element` names keys; a map's data may be repeated and is ignored
    const parsed = parseElementList(lx, set.keyType.map((t) => STRING_KEY_TYPES.has(t)), set.kind === 'map' ? 'optional' : 'none', parseDuration);
    if (parsed === null) {
      this.errorHere(`unexpected ${describeToken(lx)} in the elements to delete`);
      return this.skipLine();
    }
    const missing = this.b.deleteElements(set, parsed.map((e) => e.key));
    if (missing.length > 0 && !destroy) this.b.error(`${missing.length} element(s) to delete are not in ${set.name}`, keysAt);
  }
}

function toElement(e: ParsedElement): NftElement {
  return { key: e.key, data: e.data, comment: e.comment, expires: e.expires, timeout: e.timeout, line: e.line };
}
