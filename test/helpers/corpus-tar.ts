/** Reads files of a corpus tarball in place (never copied into the project): the paths matching `re`, with their text. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { corpusPath } from './shared.js';

export async function corpusTarFiles(tarball: string, re: RegExp): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const extract = tarStream.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (header.type === 'file' && re.test(header.name)) out.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from(gunzipSync(readFileSync(corpusPath('bundles', tarball)))).pipe(extract);
  await done;
  return out;
}
