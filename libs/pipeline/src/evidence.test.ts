import { bestPassages, splitPassages } from './evidence';

describe('splitPassages', () => {
  it('cuts on sentence and line boundaries, joining short lines of a paragraph, never across paragraphs', () => {
    const text =
      'Jane Doe\nSenior nurse\n\n' +
      'Led a ward of twelve nurses in intensive care. Introduced a sepsis screening protocol that cut response times.\n' +
      'Skills: triage, medication, ventilators\n\n' +
      'Hobbies: chess';
    expect(splitPassages(text)).toEqual([
      'Jane Doe Senior nurse',
      'Led a ward of twelve nurses in intensive care.',
      'Introduced a sepsis screening protocol that cut response times.',
      'Skills: triage, medication, ventilators',
      'Hobbies: chess',
    ]);
  });

  it('cuts a sentence longer than 60 words between words, and stops at the passage cap', () => {
    const long = Array.from({ length: 130 }, (_, i) => `w${i}`).join(' ');
    const passages = splitPassages(long);
    expect(passages.map((p) => p.split(' ').length)).toEqual([60, 60, 10]);
    expect(passages.join(' ')).toBe(long);
    expect(
      splitPassages(
        Array.from({ length: 100 }, (_, i) => `Sentence number ${i} is here now ok.`).join('\n'),
        5,
      ),
    ).toHaveLength(5);
  });

  it('drops lines without letters or digits', () => {
    expect(splitPassages('-----\n• •\nReal content of the line that counts')).toEqual([
      'Real content of the line that counts',
    ]);
  });
});

describe('bestPassages', () => {
  it('returns the three passages most similar to the posting vector, best first, with their cosines', async () => {
    const text =
      'alpha one two three four five six seven.\n\nbeta one two three four five six seven.\n\n' +
      'gamma one two three four five six seven.\n\ndelta one two three four five six seven.';
    const vectors: Record<string, number[]> = {
      alpha: [1, 0],
      beta: [0.6, 0.8],
      gamma: [0, 1],
      delta: [0.8, 0.6],
    };
    const embed = (passages: string[]) => Promise.resolve(passages.map((p) => vectors[p.split(' ')[0]!]!));
    const best = await bestPassages(embed, text, [1, 0]);
    expect(best.map((b) => [b.text.split(' ')[0], b.similarity])).toEqual([
      ['alpha', 1],
      ['delta', 0.8],
      ['beta', 0.6],
    ]);
  });
});
