/**
 * The words messages are made of, most frequent first. A message's words are drawn with
 * `rank = floor(exp(random() · ln(V + 1)))`: log-uniform ranks, which is Zipf's law with exponent 1,
 * the shape of word frequencies in real text (the top word about 8 % of all words, the 10th
 * about 1 %, the 1000th about 0.01 %). The first ranks are real English words (so "the" is as
 * common as it is in chat), the rest made-up ones.
 */
const COMMON = (
  'the i to you a and it is that of in for on we this be have not with are can do at so but just was ' +
  'if what my me will all get no your like about out up they there know think one now go time when ' +
  'deploy build test release meeting fix bug review merge server data team customer lunch coffee tomorrow ' +
  'today friday monday issue update plan design code docs call yes thanks please sure good great ok'
).split(' ');

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tu', 'sa', 'vel', 'no', 'pri', 'dus', 'xa', 'bor', 'qui', 'fen', 'ta', 'gol'];

export function vocabulary(size: number): string[] {
  const words = [...COMMON];
  const seen = new Set(words);
  for (let i = 0; words.length < size; i++) {
    let n = i;
    let word = '';
    do {
      word += SYLLABLES[n % SYLLABLES.length];
      n = Math.floor(n / SYLLABLES.length);
    } while (n > 0);
    word += SYLLABLES[(i * 7) % SYLLABLES.length];
    if (!seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  return words.slice(0, size);
}

/** The share of messages of `wordsPerMessage` words that contain the word of this rank (1-based). */
export function messageShare(rank: number, vocabularySize: number, wordsPerMessage: number): number {
  const perWord = Math.log((rank + 1) / rank) / Math.log(vocabularySize + 1);
  return 1 - (1 - perWord) ** wordsPerMessage;
}
