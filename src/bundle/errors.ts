/** An input that cannot be read as a bundle. Its message is one line meant for the user. */
export class BundleError extends Error {
  constructor(message: string, readonly code: BundleErrorCode = 'unreadable') {
    super(message);
    this.name = 'BundleError';
  }
}

export type BundleErrorCode =
  | 'not-found'
  | 'unreadable'
  | 'unknown-format'
  | 'corrupt'
  | 'truncated'
  | 'empty'
  | 'limit'
  | 'timeout';

/** Turns a low-level error (zlib, tar, fs) into a one-line BundleError. */
export function explainReadError(err: unknown, what: string): BundleError {
  if (err instanceof BundleError) return err;
  const e = err as NodeJS.ErrnoException & { message?: string };
  const msg = String(e?.message ?? err);
  if (e?.code === 'ENOENT') return new BundleError(`${what}: no such file or directory`, 'not-found');
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return new BundleError(`${what}: permission denied`, 'unreadable');
  if (e?.code === 'EISDIR') return new BundleError(`${what}: is a directory`, 'unreadable');
  // node-liblzma's errors (LZMADataError, ...) and ours (xz.ts) say little of themselves ("Data is
  // corrupt"): told by their name, not by a message that may only name a .xz file
  if (/^LZMA/.test((e as { name?: string })?.name ?? ''))
    return /unexpected end|no progress is possible/i.test(msg)
      ? new BundleError(`${what}: truncated xz data (the compressed data ends early)`, 'truncated')
      : new BundleError(`${what}: corrupt xz data (${firstLine(msg).replace(/^xz: /, '')})`, 'corrupt');
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg))
    return new BundleError(`${what}: truncated archive (compressed data ends early)`, 'truncated');
  if (e?.code === 'Z_DATA_ERROR' || /incorrect header check|invalid (block type|distance|stored block|code)/i.test(msg))
    return new BundleError(`${what}: corrupt compressed data (${firstLine(msg)})`, 'corrupt');
  if (/unexpected end of data|Unexpected end/i.test(msg))
    return new BundleError(`${what}: truncated archive (tar data ends early)`, 'truncated');
  if (/^entry is encrypted/.test(msg))
    return new BundleError(
      `${what}: a password-protected zip; bundle-doctor cannot decrypt it: extract it with its password (unzip -P, 7z x) and analyze the folder`,
      'unreadable',
    );
  if (/^corrupt zip archive/.test(msg)) return new BundleError(`${what}: ${firstLine(msg)}`, 'corrupt');
  if (/(too (many|few)|not enough) bytes in the stream|invalid (local|central) (file )?header|end of central directory/i.test(msg))
    return new BundleError(`${what}: corrupt zip archive (${firstLine(msg)})`, 'corrupt');
  if (/invalid tar header|Invalid tar header/i.test(msg))
    return new BundleError(`${what}: corrupt tar archive (invalid header)`, 'corrupt');
  return new BundleError(`${what}: ${firstLine(msg)}`, 'unreadable');
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 200 ? line.slice(0, 199) + '…' : line;
}
