/**
 * A small OData `$filter` parser: text → syntax tree. Pure; knows nothing about devices (what a
 * property supports is `device-filter.ts`'s business).
 *
 * Grammar (the part of OData v4 Microsoft Graph's directory objects accept, docs/graph-behaviour.md §5):
 * ```
 * expr     := and ('or' and)*
 * and      := unary ('and' unary)*
 * unary    := 'not' unary | primary
 * primary  := '(' expr ')' | call | member 'in' '(' literal (',' literal)* ')'
 *           | member '/any(' var ':' expr ')' | member op literal
 * call     := ('startswith' | 'endswith') '(' member ',' literal ')'
 * op       := 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'
 * member   := identifier ('/' identifier)*          e.g. extensionAttributes/extensionAttribute1
 * literal  := 'string' (quote doubled inside) | true | false | null | number | DateTimeOffset
 * ```
 * Keywords and function names are matched case-insensitively. DateTimeOffset literals are unquoted
 * (`2025-01-01T00:00:00Z`), as Graph requires.
 */

/** A literal value in a filter. `datetime` keeps its epoch ms and the text written. */
export type FilterLiteral =
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'number'; value: number }
  | { kind: 'datetime'; ms: number; text: string };

/** Comparison operators. */
export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

/** A parsed `$filter`. `member` is the path as written, segments joined by `/`. */
export type FilterExpr =
  | { type: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { type: 'not'; operand: FilterExpr }
  | { type: 'compare'; op: CompareOp; member: string; value: FilterLiteral }
  | { type: 'in'; member: string; values: FilterLiteral[] }
  | { type: 'function'; name: 'startswith' | 'endswith'; member: string; value: FilterLiteral }
  | { type: 'any'; member: string; variable: string; predicate: FilterExpr };

/** Bad `$filter` syntax; `message` says what and where (character offset). */
export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number }
  | { t: 'datetime'; ms: number; v: string; at: number }
  | { t: 'punct'; v: '(' | ')' | ',' | ':' | '/'; at: number }
  | { t: 'end'; at: number };

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_]*/;

/** Splits filter text into tokens. @throws FilterSyntaxError on an unterminated string or a stray character. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new FilterSyntaxError(`unterminated string literal at position ${i}`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j];
        j++;
      }
      tokens.push({ t: 'string', v: value, at: i });
      i = j + 1;
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === ':' || c === '/') {
      tokens.push({ t: 'punct', v: c, at: i });
      i++;
      continue;
    }
    const rest = text.slice(i);
    const dt = DATETIME.exec(rest);
    if (dt) {
      const ms = Date.parse(dt[0]);
      if (Number.isNaN(ms)) throw new FilterSyntaxError(`invalid DateTimeOffset literal '${dt[0]}' at position ${i}`);
      tokens.push({ t: 'datetime', ms, v: dt[0], at: i });
      i += dt[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num && !/[A-Za-z_]/.test(rest[num[0].length] ?? '')) {
      tokens.push({ t: 'number', v: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const id = IDENT.exec(rest);
    if (id) {
      tokens.push({ t: 'ident', v: id[0], at: i });
      i += id[0].length;
      continue;
    }
    throw new FilterSyntaxError(`unexpected character '${c}' at position ${i}`);
  }
  tokens.push({ t: 'end', at: text.length });
  return tokens;
}

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS = new Set<string>(['startswith', 'endswith']);

/**
 * Parses a `$filter` expression.
 * @returns the syntax tree
 * @throws FilterSyntaxError for anything outside the grammar above (unknown function, a property
 *   compared with a property, missing operand, trailing text, empty filter, `all(...)`, …).
 */
export function parseFilter(text: string): FilterExpr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const describe = (t: Token): string => (t.t === 'end' ? 'end of filter' : `'${'v' in t ? String(t.v) : ''}' at position ${t.at}`);
  const isWord = (t: Token, word: string): boolean => t.t === 'ident' && t.v.toLowerCase() === word;
  const expectPunct = (p: string): void => {
    const t = next();
    if (t.t !== 'punct' || t.v !== p) throw new FilterSyntaxError(`expected '${p}' but found ${describe(t)}`);
  };

  const literal = (): FilterLiteral => {
    const t = next();
    if (t.t === 'string') return { kind: 'string', value: t.v };
    if (t.t === 'number') return { kind: 'number', value: t.v };
    if (t.t === 'datetime') return { kind: 'datetime', ms: t.ms, text: t.v };
    if (t.t === 'ident') {
      const w = t.v.toLowerCase();
      if (w === 'true' || w === 'false') return { kind: 'boolean', value: w === 'true' };
      if (w === 'null') return { kind: 'null' };
    }
    throw new FilterSyntaxError(`expected a literal value but found ${describe(t)}`);
  };

  /** `a/b/c`; stops before `/any` (the caller handles it). */
  const member = (): string => {
    const t = next();
    if (t.t !== 'ident' || ['true', 'false', 'null', 'not', 'and', 'or'].includes(t.v.toLowerCase())) {
      throw new FilterSyntaxError(`expected a property name but found ${describe(t)}`);
    }
    let path = t.v;
    while (peek().t === 'punct' && (peek() as { v: string }).v === '/') {
      const after = tokens[pos + 1]!;
      if (after.t === 'ident' && (after.v.toLowerCase() === 'any' || after.v.toLowerCase() === 'all')) break;
      pos++;
      const seg = next();
      if (seg.t !== 'ident') throw new FilterSyntaxError(`expected a property name after '/' but found ${describe(seg)}`);
      path += `/${seg.v}`;
    }
    return path;
  };

  const primary = (): FilterExpr => {
    const t = peek();
    if (t.t === 'punct' && t.v === '(') {
      pos++;
      const inner = orExpr();
      expectPunct(')');
      return inner;
    }
    if (t.t === 'ident' && tokens[pos + 1]?.t === 'punct' && (tokens[pos + 1] as { v: string }).v === '(') {
      const name = t.v.toLowerCase();
      if (!FUNCTIONS.has(name)) throw new FilterSyntaxError(`unknown function '${t.v}' at position ${t.at}`);
      pos += 2;
      const m = member();
      expectPunct(',');
      const value = literal();
      expectPunct(')');
      return { type: 'function', name: name as 'startswith' | 'endswith', member: m, value };
    }
    const m = member();
    const op = peek();
    if (op.t === 'punct' && op.v === '/') {
      pos++;
      const lambda = next();
      if (!isWord(lambda, 'any')) throw new FilterSyntaxError(`the lambda operator '${'v' in lambda ? lambda.v : ''}' is not supported`);
      expectPunct('(');
      const variable = next();
      if (variable.t !== 'ident') throw new FilterSyntaxError(`expected a range variable but found ${describe(variable)}`);
      expectPunct(':');
      const predicate = orExpr();
      expectPunct(')');
      return { type: 'any', member: m, variable: variable.v, predicate };
    }
    if (op.t === 'ident' && op.v.toLowerCase() === 'in') {
      pos++;
      expectPunct('(');
      const values = [literal()];
      while (peek().t === 'punct' && (peek() as { v: string }).v === ',') {
        pos++;
        values.push(literal());
      }
      expectPunct(')');
      return { type: 'in', member: m, values };
    }
    if (op.t === 'ident' && COMPARE_OPS.has(op.v.toLowerCase())) {
      pos++;
      const value = literal();
      return { type: 'compare', op: op.v.toLowerCase() as CompareOp, member: m, value };
    }
    throw new FilterSyntaxError(`expected an operator after '${m}' but found ${describe(op)}`);
  };

  const unary = (): FilterExpr => {
    if (isWord(peek(), 'not')) {
      pos++;
      return { type: 'not', operand: unary() };
    }
    return primary();
  };

  const andExpr = (): FilterExpr => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      pos++;
      left = { type: 'and', left, right: unary() };
    }
    return left;
  };

  const orExpr = (): FilterExpr => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      pos++;
      left = { type: 'or', left, right: andExpr() };
    }
    return left;
  };

  if (tokens.length === 1) throw new FilterSyntaxError('empty filter');
  const expr = orExpr();
  const end = peek();
  if (end.t !== 'end') throw new FilterSyntaxError(`unexpected ${describe(end)}`);
  return expr;
}

/** Every node of a tree, depth first (the tree itself first). */
export function walkFilter(expr: FilterExpr): FilterExpr[] {
  const out: FilterExpr[] = [expr];
  if (expr.type === 'and' || expr.type === 'or') out.push(...walkFilter(expr.left), ...walkFilter(expr.right));
  else if (expr.type === 'not') out.push(...walkFilter(expr.operand));
  else if (expr.type === 'any') out.push(...walkFilter(expr.predicate));
  return out;
}
