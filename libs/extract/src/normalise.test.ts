import { hasText, normaliseText } from './normalise';

describe('normaliseText', () => {
  it('composes to NFC', () => {
    expect(normaliseText('Jose\u0301')).toBe('José');
  });
  it('removes NUL and control characters, keeping words apart', () => {
    expect(normaliseText('a\u0000b\u0007c\u009fd')).toBe('a b c d');
  });
  it('collapses spaces within lines and blank lines between paragraphs', () => {
    expect(normaliseText('  one \t two\u00a0 three  \r\n\r\n\r\n\nfour\rfive ')).toBe(
      'one two three\n\nfour\nfive',
    );
  });
  it('replaces lone surrogates but keeps real pairs', () => {
    expect(normaliseText('x\ud800y 😀')).toBe('x\ufffdy 😀');
  });
});

describe('hasText', () => {
  it('needs a letter or a digit', () => {
    expect(hasText(' \n- . ')).toBe(false);
    expect(hasText('- 7 -')).toBe(true);
  });
});
