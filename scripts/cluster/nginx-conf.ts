/**
 * Just enough of nginx's configuration syntax to check a file in tests: directives
 * (`name arg…;`), blocks (`name arg… { … }`), `#` comments, quoted strings. Not a validator:
 * `nginx -t` is.
 */
export interface Directive {
  name: string;
  args: string[];
  /** The block's directives; undefined for a simple directive. */
  block?: Directive[] | undefined;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push(c);
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new Error(`unterminated string at offset ${i}`);
      tokens.push(value);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};#]/.test(text[j]!)) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

export function parseNginxConf(text: string): Directive[] {
  const tokens = tokenize(text);
  let pos = 0;
  const parseBlock = (nested: boolean): Directive[] => {
    const out: Directive[] = [];
    while (pos < tokens.length) {
      if (tokens[pos] === '}') {
        if (!nested) throw new Error('unexpected "}"');
        pos++;
        return out;
      }
      const name = tokens[pos++]!;
      const args: string[] = [];
      while (pos < tokens.length && tokens[pos] !== ';' && tokens[pos] !== '{' && tokens[pos] !== '}') args.push(tokens[pos++]!);
      const end = tokens[pos++];
      if (end === ';') out.push({ name, args });
      else if (end === '{') out.push({ name, args, block: parseBlock(true) });
      else throw new Error(`directive "${name}" is not terminated by ";" or a block`);
    }
    if (nested) throw new Error('a block is not closed');
    return out;
  };
  return parseBlock(false);
}

/** Every directive named `name` in `directives`, at any depth. */
export function findAll(directives: Directive[], name: string): Directive[] {
  return directives.flatMap((d) => [...(d.name === name ? [d] : []), ...(d.block ? findAll(d.block, name) : [])]);
}

/** The one directive `name` directly in `directives` (throws when missing or repeated). */
export function only(directives: Directive[] | undefined, name: string, ...args: string[]): Directive {
  const found = (directives ?? []).filter((d) => d.name === name && args.every((a, i) => d.args[i] === a));
  if (found.length !== 1) throw new Error(`expected one "${[name, ...args].join(' ')}", found ${found.length}`);
  return found[0]!;
}

/** nginx time (`60s`, `1m`, `500ms`, `75`) in milliseconds. */
export function nginxTimeMs(value: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(value);
  if (!m) throw new Error(`not an nginx time: ${value}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}
