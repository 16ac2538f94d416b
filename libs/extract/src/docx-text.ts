import yauzl from 'yauzl';
import { coerceError } from '@shortlist/config';
import { ExtractionError } from './errors';

export interface ZipLimits {
  maxEntries: number;
  /** Total bytes of all entries once inflated. */
  maxInflatedBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 2000, maxInflatedBytes: 64 * 1024 * 1024 };

/**
 * Text of a DOCX with mammoth, behind zip-bomb guards: the archive is inspected first — entry count, declared
 * sizes, then every entry inflated and counted (yauzl also checks that each matches its declared size) — and only
 * an archive inside the caps reaches mammoth, which inflates entries whole in memory.
 */
export async function docxText(bytes: Buffer, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<string> {
  await inspectArchive(bytes, limits);
  const mammoth = await import('mammoth');
  try {
    const { value } = await mammoth.extractRawText({ buffer: bytes });
    return value;
  } catch (error) {
    throw new ExtractionError('corrupt_file', `not a readable DOCX (${coerceError(error).message})`);
  }
}

async function inspectArchive(bytes: Buffer, limits: ZipLimits): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true }, (error, file) =>
      error
        ? reject(new ExtractionError('corrupt_file', `not a readable ZIP archive (${error.message})`))
        : resolve(file),
    ),
  );
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw new ExtractionError(
      'too_large',
      `the archive has ${zip.entryCount} entries (limit ${limits.maxEntries})`,
    );
  }
  const entries: yauzl.Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', (error: Error) =>
      reject(new ExtractionError('corrupt_file', `broken ZIP archive (${error.message})`)),
    );
    zip.readEntry();
  });
  if (!entries.some((e) => e.fileName === 'word/document.xml')) {
    zip.close();
    throw new ExtractionError('unsupported_format', 'a ZIP archive without word/document.xml is not a DOCX');
  }
  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (declared > limits.maxInflatedBytes) {
    zip.close();
    throw new ExtractionError(
      'too_large',
      `the archive inflates to ${declared} bytes (limit ${limits.maxInflatedBytes}); refused before inflating`,
    );
  }
  // Declared sizes can lie: inflate and count for real, stopping at the cap.
  let inflated = 0;
  try {
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue;
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        zip.openReadStream(entry, (error, s) => (error ? reject(error) : resolve(s))),
      );
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        inflated += chunk.length;
        if (inflated > limits.maxInflatedBytes) {
          throw new ExtractionError(
            'too_large',
            `the archive inflates past ${limits.maxInflatedBytes} bytes`,
          );
        }
      }
    }
  } catch (error) {
    if (error instanceof ExtractionError) throw error;
    throw new ExtractionError('corrupt_file', `broken ZIP archive (${coerceError(error).message})`);
  } finally {
    zip.close();
  }
}
