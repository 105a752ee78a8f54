/**
 * The positive lexemes of a tsquery in PostgreSQL's text form (`'deploy' <-> 'friday' &
 * !'staging'`): the words a hit must contain, which its snippet highlights. A word under `!`
 * (excluded with `-`), or inside a negated group, is left out.
 * @example positiveLexemes(`'a' & !( 'b' <-> 'c' ) | 'd'`) // ['a', 'd']
 */
export function positiveLexemes(tsquery: string): string[] {
  const out: string[] = [];
  /** Whether each open parenthesis is negated. */
  const groups: boolean[] = [];
  let negateNext = false;
  for (let i = 0; i < tsquery.length; i++) {
    const c = tsquery[i];
    if (c === '!') negateNext = !negateNext;
    else if (c === '(') {
      groups.push(negateNext !== (groups.at(-1) ?? false));
      negateNext = false;
    } else if (c === ')') groups.pop();
    else if (c === "'") {
      // A lexeme: '' is a quote inside it, \ escapes the next character.
      let word = '';
      for (i++; i < tsquery.length; i++) {
        const d = tsquery[i]!;
        if (d === '\\' && i + 1 < tsquery.length) word += tsquery[++i];
        else if (d === "'" && tsquery[i + 1] === "'") word += tsquery[++i];
        else if (d === "'") break;
        else word += d;
      }
      const negated = negateNext !== (groups.at(-1) ?? false);
      negateNext = false;
      if (!negated && !out.includes(word)) out.push(word);
    }
  }
  return out;
}
