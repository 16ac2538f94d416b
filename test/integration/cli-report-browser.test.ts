import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { runCli } from '../support/cli';

const root = join(__dirname, '..', '..');
const fixtures = join(__dirname, '..', 'fixtures');
const MODELS = join(fixtures, 'models', 'tiny');
/** The little of the DOM these checks touch (the project's TypeScript has no DOM library). */
interface El {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): El | null;
}

const ENV = { EMBED_PASS_TOKENS: '64', EMBED_PASS_OVERLAP: '16', EMBED_THREADS: '1', DATABASE_URL: '' };

/**
 * The HTML report of `shortlist screen`, opened in a real browser (headless Chromium): what a hiring team sees,
 * sorting, evidence, and that the page asks nothing of the network. REPORT_SCREENSHOT=docs/report.png also saves
 * the screenshot the README shows.
 */
describe('the HTML report in a browser', () => {
  let work: string;
  let report: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'shortlist-report-'));
    const resumes = join(work, 'resumes');
    mkdirSync(resumes);
    // Twelve demo resumes across fields, and two files it cannot read.
    for (const f of readdirSync(join(root, 'demo', 'resumes'))
      .sort()
      .slice(0, 12))
      copyFileSync(join(root, 'demo', 'resumes', f), join(resumes, f));
    copyFileSync(join(fixtures, 'bad', 'empty.txt'), join(resumes, 'empty.txt'));
    copyFileSync(join(fixtures, 'bad', 'random.bin'), join(resumes, 'random.bin'));
    report = join(work, 'report.html');
    const result = runCli(
      [
        'screen',
        '--job',
        join(root, 'demo', 'postings', 'data-engineer.txt'),
        '--resumes',
        resumes,
        '--models',
        MODELS,
        '--data-dir',
        join(work, 'data'),
        '--format',
        'html',
        '--out',
        report,
      ],
      ENV,
    );
    expect(result.status).toBe(1); // two files skipped
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(report).href);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const texts = (selector: string) => page.locator(selector).allInnerTexts();
  const column = async (key: string) => {
    const index = await page
      .locator(`#ranking th[data-key="${key}"]`)
      .evaluate((th: { cellIndex: number }) => th.cellIndex);
    return page
      .locator(`#ranking tbody tr td:nth-child(${index + 1})`)
      .evaluateAll((cells: El[]) => cells.map((c) => c.getAttribute('data-v')!));
  };

  it("shows the job's title, the date, the models with a visible warning for random ones", async () => {
    expect(await page.title()).toBe('Shortlist: Senior Data Engineer');
    expect(await page.locator('h1').innerText()).toBe('Senior Data Engineer');
    expect(await page.locator('.meta').first().innerText()).toMatch(
      /^Screened \d{4}-\d\d-\d\d \d\d:\d\d UTC · 12 ranked · job description: .*data-engineer\.txt/,
    );
    expect(await page.locator('.meta').nth(1).innerText()).toMatch(
      /Models: semantic shortlist\/random-.*, domain shortlist\/random-.* · threshold 0\.5, boost ×1\.2, penalty ×0\.6/,
    );
    const warning = page.locator('.warning');
    expect(await warning.isVisible()).toBe(true);
    expect(await warning.innerText()).toMatch(/Test models\. These are random test models/);
  });

  it('explains every column, and shows the gate factor, the unclipped score and domain labels', async () => {
    const headers = await page
      .locator('#ranking th')
      .evaluateAll((ths: El[]) => ths.map((th) => [th.textContent, th.getAttribute('title')]));
    expect(headers.map(([name]) => name)).toEqual([
      'Rank',
      'Resume',
      'Final',
      'Unclipped',
      'Gate',
      'Semantic',
      'Domain',
      'Flags',
      'Domain label',
      'Evidence',
    ]);
    for (const [, help] of headers) expect(help!.length).toBeGreaterThan(20);
    expect(await texts('#legend dt')).toHaveLength(10);
    expect(await column('gate')).toEqual(Array(12).fill('1.2'));
    for (const v of await column('unclipped')) expect(Number(v)).toBeGreaterThan(100);
    const labels = await column('label');
    expect(labels.every((l) => /^[a-z_]+$/.test(l))).toBe(true);
  });

  it('sorts by a column when its header is clicked, and back', async () => {
    const header = page.locator('#ranking th[data-key="semantic"]');
    await header.click();
    const up = (await column('semantic')).map(Number);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    await header.click();
    const down = (await column('semantic')).map(Number);
    expect(down).toEqual([...up].reverse());
    await page.locator('#ranking th[data-key="rank"]').click();
    expect((await column('rank')).map(Number)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // Final, descending, after another order: equal finals (clipped at 100) keep the ranking's order.
    const final = page.locator('#ranking th[data-key="final"]');
    await header.click();
    await final.click();
    await final.click();
    expect(await final.getAttribute('aria-sort')).toBe('descending');
    expect((await column('rank')).map(Number)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('expands the evidence of a candidate: passages of that resume, best first', async () => {
    const first = page.locator('#ranking tbody tr').first();
    const passages = first.locator('.evidence li');
    expect(await passages.first().isVisible()).toBe(false);
    await first.locator('.evidence summary').click();
    expect(await passages.first().isVisible()).toBe(true);
    const shown = await passages.allInnerTexts();
    expect(shown.length).toBeGreaterThanOrEqual(2);
    const similarities = shown.map((t) => Number(t.split(' ')[0]));
    expect(similarities).toEqual([...similarities].sort((a, b) => b - a));
    expect(shown[0]!.length).toBeGreaterThan(20);
  });

  it('shows the gate audit, the skipped files in words, and a histogram with axes and counts', async () => {
    const audit = await page
      .locator('#audit tr')
      .evaluateAll((rows: El[]) =>
        rows.map((r) => [r.querySelector('th')!.textContent, Number(r.querySelector('td')!.textContent)]),
      );
    expect(audit).toEqual([
      ['Candidates scored', 12],
      ['Boosted', 12],
      ['Penalised', 0],
      ['Removed by the hard gate', 0],
      ['Borderline', 0],
      ['To review', 0],
    ]);
    expect(await texts('#skipped li')).toEqual([
      'empty.txt: no text to read (an empty file, or a scanned image without a text layer) (no_text)',
      'random.bin: not a format Shortlist reads (PDF, DOCX, HTML or plain text) (unsupported_format)',
    ]);
    const svg = page.locator('svg[aria-label="Distribution of final scores"]');
    const labels = await svg.locator('text').allTextContents();
    expect(labels).toEqual(expect.arrayContaining(['final score (0–100)', 'candidates', '90–100', '0–10']));
    // Every candidate is counted once; the bar for 100 sits over "90–100".
    const counts = (await svg.locator('text.count').allTextContents()).map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
    expect(counts.at(-1)).toBe(12);
  });

  it('links each resume to its file, and the page makes no network request', async () => {
    const links = await page
      .locator('#ranking tbody a')
      .evaluateAll((as: El[]) => as.map((a) => a.getAttribute('href')!));
    expect(links).toHaveLength(12);
    for (const link of links) expect(existsSync(fileURLToPath(link))).toBe(true);
    expect(requests).toEqual([pathToFileURL(report).href]);
    const screenshot = process.env.REPORT_SCREENSHOT;
    if (screenshot) {
      await page.locator('#ranking tbody tr').nth(1).locator('.evidence summary').click();
      await page.screenshot({ path: join(root, screenshot), fullPage: false });
    }
  });
});
