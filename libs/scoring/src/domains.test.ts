import { CARD_DOMAINS, DOMAIN_KEY, InvalidDomainSetError, buildDomainSet } from './domains';

describe("the card's domains", () => {
  it('are the 13 keys of the model card, each described', () => {
    expect(CARD_DOMAINS.map((d) => d.key)).toEqual([
      'technology',
      'healthcare',
      'finance',
      'education',
      'legal',
      'sales_marketing',
      'human_resources',
      'manufacturing_operations',
      'design',
      'retail_hospitality',
      'construction_real_estate',
      'government_nonprofit',
      'media_entertainment',
    ]);
    for (const d of CARD_DOMAINS) {
      expect(d.key).toMatch(DOMAIN_KEY);
      expect(d.description.length).toBeGreaterThan(200);
    }
  });
});

describe('buildDomainSet', () => {
  it("extends the card's set, a card key replacing that domain", () => {
    const set = buildDomainSet('card', [
      { key: 'biotech', name: 'Biotech', description: 'Lab scientists and assays.' },
      { key: 'legal', description: 'Patent attorneys only.' },
    ]);
    expect(set).toHaveLength(14);
    expect(set.find((d) => d.key === 'legal')).toEqual({
      key: 'legal',
      name: 'Legal',
      description: 'Patent attorneys only.',
    });
    expect(set.at(-1)).toEqual({
      key: 'biotech',
      name: 'Biotech',
      description: 'Lab scientists and assays.',
    });
  });

  it('replaces it, naming a domain by its key when no name is given', () => {
    expect(
      buildDomainSet('none', [
        { key: 'a', description: 'first' },
        { key: 'b', description: 'second' },
      ]),
    ).toEqual([
      { key: 'a', name: 'a', description: 'first' },
      { key: 'b', name: 'b', description: 'second' },
    ]);
  });

  it('names what is wrong', () => {
    const bad =
      (domains: { key: string; description: string }[], base: 'card' | 'none' = 'none') =>
      () =>
        buildDomainSet(base, domains);
    expect(bad([{ key: 'Bad Key', description: 'x' }])).toThrow(/^domains\[0\]\.key: "Bad Key" is not a key/);
    expect(
      bad([
        { key: 'a', description: 'x' },
        { key: 'a', description: 'y' },
      ]),
    ).toThrow('domains[1].key: a appears twice');
    expect(bad([{ key: 'a', description: '  ' }], 'card')).toThrow('domains[0].description: empty');
    // Nothing the model could embed once the text is normalised (a bell and a zero-width space, punctuation).
    for (const description of ['\u0007\u200b', '\u200c\u200d', '!?.;']) {
      expect(bad([{ key: 'a', description }], 'card')).toThrow(
        'domains[0].description: has no letter or digit: nothing to embed',
      );
    }
    expect(() =>
      buildDomainSet('card', [{ key: 'a', description: 'Bioinformatik, 生物信息学' }]),
    ).not.toThrow();
    expect(bad([{ key: 'a', description: 'x' }])).toThrow(InvalidDomainSetError);
    expect(bad([{ key: 'a', description: 'x' }])).toThrow(/at least two domains/);
  });
});
