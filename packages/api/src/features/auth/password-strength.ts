import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/**
 * The lowest zxcvbn score a new password may have (0–4; 3 is "safely unguessable: moderate
 * protection from an offline attack", what OWASP ASVS 2.1.7/2.1.8 ask for with a strength meter).
 */
export const MIN_PASSWORD_SCORE = 3;

let checker: Promise<ZxcvbnFactory> | undefined;

/**
 * zxcvbn with its common-password and English dictionaries, loaded once and only when the
 * first password is checked (they are a few MB: a node that never registers anyone never
 * loads them).
 */
function loadChecker(): Promise<ZxcvbnFactory> {
  checker ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
  })();
  checker.catch(() => {
    checker = undefined;
  });
  return checker;
}

/**
 * null when `password` is strong enough, else a sentence that says why not and what helps
 * (zxcvbn's warning and suggestions). `userInputs` (the username, the display name) count as
 * known words: "ada2024ada" is weak for ada.
 */
export async function passwordWeakness(password: string, userInputs: readonly string[] = []): Promise<string | null> {
  const result = (await loadChecker()).check(password, [...userInputs]);
  if (result.score >= MIN_PASSWORD_SCORE) return null;
  const why = result.feedback.warning ?? 'This password is easy to guess.';
  const help = result.feedback.suggestions.length > 0 ? result.feedback.suggestions : ['Add more words that are less common.'];
  return `${why} ${help.join(' ')}`.replace(/\s+/g, ' ').trim();
}
