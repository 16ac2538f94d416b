import { coerceError } from '@shortlist/config';
import { readFile } from 'node:fs/promises';
import type { ChildReply, ChildRequest } from './child-protocol';
import { decodeText } from './decode-text';
import { docxText } from './docx-text';
import { ExtractionError } from './errors';
import { htmlText } from './html-text';
import { normaliseText } from './normalise';
import { pdfText } from './pdf-text';

/**
 * The extraction child process: parses one document with the parser its format needs and answers over IPC.
 * Parsers of untrusted files run here, never in the worker: a hang or a memory blow-up kills only this process.
 */
async function parse(request: ChildRequest): Promise<string> {
  const bytes = await readFile(request.path);
  switch (request.format) {
    case 'pdf':
      return pdfText(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    case 'docx':
      return docxText(bytes, { maxEntries: 2000, maxInflatedBytes: request.maxInflatedBytes });
    case 'html':
      return htmlText(decodeText(bytes));
    case 'text':
      return decodeText(bytes);
  }
}

// The worker is gone (it crashed or quit at once): nobody waits for this answer.
process.once('disconnect', () => process.exit(1));

process.once('message', (request: ChildRequest) => {
  const reply = (message: ChildReply) => process.send!(message, () => process.exit(0));
  parse(request).then(
    (text) => reply({ ok: true, text: normaliseText(text) }),
    (error: unknown) =>
      reply(
        error instanceof ExtractionError
          ? { ok: false, reason: error.reason, message: error.message }
          : { ok: false, reason: 'corrupt_file', message: coerceError(error).message },
      ),
  );
});
