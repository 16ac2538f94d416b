import { coerceError } from '@shortlist/config';
import { ExtractionError } from './errors';

/** The most pages read from one PDF: a resume has a few; a 10,000-page file is not one. */
const MAX_PAGES = 200;

/**
 * Text of a PDF with pdf.js, in its hardened configuration: no `eval`/`new Function` (CVE-2024-4367 compiled font
 * data into JavaScript), no font loading, no network. Runs only inside the extraction child process.
 */
export async function pdfText(bytes: Uint8Array): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({
    data: bytes,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    isOffscreenCanvasSupported: false,
    verbosity: 0,
  });
  let document: Awaited<typeof task.promise>;
  try {
    document = await task.promise;
  } catch (error) {
    // pdf.js does not export its PasswordException class: its name is what there is to go by.
    const { name, message } = coerceError(error);
    if (name === 'PasswordException') throw new ExtractionError('encrypted', 'the PDF is password-protected');
    throw new ExtractionError('corrupt_file', `not a readable PDF (${message})`);
  }
  try {
    const pages: string[] = [];
    for (let number = 1; number <= Math.min(document.numPages, MAX_PAGES); number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      pages.push(
        content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : ' ') : '')).join(''),
      );
      page.cleanup();
    }
    return pages.join('\n\n');
  } catch (error) {
    throw new ExtractionError(
      'corrupt_file',
      `the PDF's pages cannot be read (${coerceError(error).message})`,
    );
  } finally {
    await document.destroy();
  }
}
