import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childProcesses } from '../../../test/support/processes';
import { IN_PROCESS_TEXT_BYTES, extractFile, type ExtractLimits } from './extractor';
import { ExtractionError } from './errors';

const docs = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'docs');
const bad = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'bad');
const limits: ExtractLimits = { timeoutMs: 20_000, memoryMb: 512 };

async function failure(path: string, custom: ExtractLimits = limits): Promise<ExtractionError> {
  const error = await extractFile(path, custom).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtractionError);
  return error as ExtractionError;
}

describe('extractFile', () => {
  let scratch: string;
  beforeAll(() => (scratch = mkdtempSync(join(tmpdir(), 'shortlist-extractor-'))));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each([
    ['resume.txt', 'text'],
    ['resume.pdf', 'pdf'],
    ['resume.docx', 'docx'],
    ['resume.html', 'html'],
  ])('reads the resume from %s', async (file, format) => {
    const result = await extractFile(join(docs, file), limits);
    expect(result.format).toBe(format);
    expect(result.text).toContain('Ada Lovelace - Senior Data Engineer');
    expect(result.text).toContain('Skills: Python, SQL, Scala, Airflow, dbt, Terraform, Kubernetes.');
    expect(result.text).not.toContain('not text'); // the HTML's script
  });

  it('sniffs a PDF named .docx by its bytes', async () => {
    const result = await extractFile(join(bad, 'pdf-named.docx'), limits);
    expect(result.format).toBe('pdf');
    expect(result.text).toContain('Ada Lovelace');
  });

  it('decodes Latin-1 and UTF-16 with a byte order mark', async () => {
    expect((await extractFile(join(bad, 'latin1.txt'), limits)).text).toContain(
      'José Müller, ingénieur logiciel à Zürich',
    );
    expect((await extractFile(join(bad, 'utf16.txt'), limits)).text).toBe(
      'Résumé in UTF-16: Zoë Ångström, data engineer.',
    );
  });

  it('decodes plain text bigger than IN_PROCESS_TEXT_BYTES in the child process, normalised', async () => {
    const path = join(scratch, 'big-latin1.txt');
    const line = 'José Müller,\u0000 ingénieur   logiciel à Zürich\n';
    writeFileSync(
      path,
      Buffer.from(line.repeat(Math.ceil((IN_PROCESS_TEXT_BYTES * 1.5) / line.length)), 'latin1'),
    );
    const { format, text } = await extractFile(path, limits);
    expect(format).toBe('text');
    expect(text.split('\n')[0]).toBe('José Müller, ingénieur logiciel à Zürich');
  });

  it("detects the encoding of megabytes off the caller's thread: the child's wall clock applies", async () => {
    // Charset detection of 20 MB of random bytes takes seconds: in the child, the time limit cuts it short.
    const path = join(scratch, 'random-20mb.bin');
    writeFileSync(
      path,
      randomBytes(20 * 1024 * 1024).map((b) => (b === 0x25 ? 0x26 : b)),
    ); // no '%PDF-'
    const error = await failure(path, { timeoutMs: 500, memoryMb: 2048 });
    expect(error.reason).toBe('extract_timeout');
  });

  it('strips NULs and control characters', async () => {
    const { text } = await extractFile(join(bad, 'nul.txt'), limits);
    expect(text.split('\n')[0]).toBe('Grace Hopper - compiler engineer');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it.each([
    ['empty.txt', 'no_text'],
    ['truncated.pdf', 'corrupt_file'],
    ['image-only.pdf', 'no_text'],
    ['random.bin', 'unsupported_format'],
  ])('refuses %s with %s', async (file, reason) => {
    expect((await failure(join(bad, file))).reason).toBe(reason);
  });

  it('refuses a DOCX zip bomb before inflating it', async () => {
    const error = await failure(join(bad, 'bomb.docx'));
    expect(error.reason).toBe('too_large');
    expect(error.message).toMatch(/refused before inflating/);
  });

  it('starts a parser that crashed once more: the document is read, not failed as extract_crashed', async () => {
    const reading = extractFile(join(docs, 'resume.pdf'), limits);
    // The first parser, killed for real as soon as it exists (before it can have answered).
    let killed: number | undefined;
    while (killed === undefined) {
      const parser = childProcesses(process.pid).find((c) => c.command.includes('extract-child'));
      if (parser) {
        process.kill(parser.pid, 'SIGKILL');
        killed = parser.pid;
      } else await new Promise((resolve) => setImmediate(resolve));
    }
    const { text } = await reading;
    expect(text).toContain('Ada Lovelace - Senior Data Engineer');
  });

  it('kills a parser that runs past the wall clock', async () => {
    // hang.pdf also grows (~50 MB/s): a memory limit it cannot reach within the test's own timeout makes sure
    // that it is the wall clock, and only the wall clock, that stops it.
    const error = await failure(join(bad, 'hang.pdf'), { timeoutMs: 1500, memoryMb: 8192 });
    expect(error.reason).toBe('extract_timeout');
    expect(error.message).toBe('parsing took longer than 1500 ms');
  });

  it('kills a parser that outgrows its memory limit', async () => {
    const error = await failure(join(bad, 'hang.pdf'), { timeoutMs: 60_000, memoryMb: 160 });
    expect(error.reason).toBe('extract_memory');
  });

  it('runs no code from a CVE-2024-4367 FontMatrix', async () => {
    const marker = join(tmpdir(), `shortlist-pwned-${process.pid}`);
    rmSync(marker, { force: true });
    process.env.SHORTLIST_PWNED_MARKER = marker;
    try {
      const result = await extractFile(join(bad, 'fontmatrix-cve-2024-4367.pdf'), limits).catch(
        (e: ExtractionError) => e,
      );
      if (!(result instanceof ExtractionError)) expect(result.text).toContain('Resume with a hostile font');
      expect(existsSync(marker)).toBe(false);
    } finally {
      delete process.env.SHORTLIST_PWNED_MARKER;
    }
  });
});
