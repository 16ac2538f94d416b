import { convert } from 'html-to-text';

/** Visible text of an HTML document: no scripts, styles, images or link targets. */
export function htmlText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'noscript', format: 'skip' },
      { selector: 'head', format: 'skip' },
    ],
  });
}
