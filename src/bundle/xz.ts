/**
 * The xz decoder. node-liblzma's native addon decodes on libuv's pool, beside the analysis; where it
 * cannot load, the same package's liblzma compiled to WebAssembly decodes on the main thread.
 *
 * Why a fallback: the addon's prebuilt binary needs GCC 13's C++ runtime, so on Debian 12,
 * Ubuntu 22.04 or RHEL 9 it is compiled by the package's install script. An install that runs no
 * scripts (`ignore-scripts=true`, a policy many companies set; npm's coming default of running
 * only approved ones) leaves no loadable addon, and every .tar.xz failed as "corrupt or truncated
 * xz data (... GLIBCXX_3.4.31 not found)". The WebAssembly build ships in the package itself.
 * Measured on the bench's 220 MB-log .tar.xz, decoding alone: native 1.58 s, WebAssembly 1.73 s,
 * xzcat 1.20 s. `BUNDLE_DOCTOR_XZ=wasm` (or `native`) chooses one.
 *
 * Both fail on xz data that ends before its stream footer, after giving what they could decode:
 * the native one, given a cut file, returned what it decoded and no error, and a truncated rotated
 * log (`messages-1.xz`) was read as a whole one. liblzma in WebAssembly says so at LZMA_FINISH.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';

export interface XzDecoder {
  readonly kind: 'native' | 'wasm';
  /**
   * The decoded data of `source`, in chunks of about chunkSize. A decoding error (corrupt or
   * truncated data) is an error of the returned stream; forwarding the source's is the caller's.
   */
  unxz(source: Readable, chunkSize: number): Readable;
}

const loading = new Map<string, Promise<XzDecoder>>();

/**
 * Loads the decoder once per process: the native addon, or WebAssembly where it cannot load.
 * `wanted` ('native', 'wasm'; default BUNDLE_DOCTOR_XZ) insists on one.
 */
export function loadXzDecoder(wanted = process.env.BUNDLE_DOCTOR_XZ ?? ''): Promise<XzDecoder> {
  let decoder = loading.get(wanted);
  if (!decoder) {
    decoder = load(wanted);
    decoder.catch(() => loading.delete(wanted));
    loading.set(wanted, decoder);
  }
  return decoder;
}

const why = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

async function load(wanted: string): Promise<XzDecoder> {
  let nativeError: unknown;
  if (wanted !== 'wasm') {
    try {
      const native = await import('node-liblzma');
      return {
        kind: 'native',
        unxz: (source, chunkSize) => {
          // The tail is checked once the decoder has given all it could: a cut file's text is read
          // up to the cut, then the error comes, as for a cut .gz.
          const tail = new XzTail();
          const decoder = native.createUnxz({ chunkSize }) as unknown as Transform;
          const out = new Transform({
            transform: (chunk, _encoding, callback) => callback(null, chunk),
            flush: (callback) => callback(tail.complete() ? null : lzmaError(LZMA_BUF_ERROR)),
          });
          tail.on('error', (err) => decoder.destroy(err));
          decoder.on('error', (err) => out.destroy(err));
          return source.pipe(tail).pipe(decoder).pipe(out);
        },
      };
    } catch (err) {
      if (wanted === 'native') throw new Error(`the native decoder (BUNDLE_DOCTOR_XZ=native) could not load: ${why(err)}`);
      nativeError = err;
    }
  }
  try {
    const wasm = await import('node-liblzma/wasm');
    const module = (await wasm.initModule()) as unknown as LzmaModule;
    return {
      kind: 'wasm',
      unxz: (source, chunkSize) => source.pipe(new WasmUnxz(module, wasm.WasmLzmaStream, chunkSize)),
    };
  } catch (err) {
    throw new Error(`no xz decoder could load (native: ${nativeError ? why(nativeError) : 'not tried'}; WebAssembly: ${why(err)})`);
  }
}

/** The part of node-liblzma's Emscripten module used here. */
interface LzmaModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _lzma_stream_decoder(stream: number, memlimit: bigint, flags: number): number;
  _lzma_code(stream: number, action: number): number;
  _lzma_end(stream: number): void;
}
interface LzmaStream {
  readonly ptr: number;
  setInput(ptr: number, size: number): void;
  setOutput(ptr: number, size: number): void;
  readonly availIn: number;
  readonly availOut: number;
  free(): void;
}

// liblzma's base.h and container.h
const LZMA_OK = 0;
const LZMA_STREAM_END = 1;
const LZMA_MEM_ERROR = 5;
const LZMA_BUF_ERROR = 10;
const LZMA_PROG_ERROR = 11;
const LZMA_RUN = 0;
const LZMA_FINISH = 3;
const LZMA_CONCATENATED = 0x08;
/** sosreport uses xz -6 (a 8 MiB dictionary); xz -9 needs 65 MiB */
const MEMLIMIT = 1024n * 1024n * 1024n;

const LZMA_MESSAGES: Record<number, string> = {
  5: 'xz: cannot allocate memory',
  6: 'xz: the data needs more than 1 GiB of memory to decode',
  7: 'xz: not xz data (file format not recognized)',
  8: 'xz: unsupported options in the xz headers',
  9: 'xz: compressed data is corrupt',
  10: 'xz: unexpected end of input',
  11: 'xz: internal error',
};

function lzmaError(ret: number): Error {
  const err = new Error(LZMA_MESSAGES[ret] ?? `xz: error ${ret}`);
  err.name = 'LZMAError';
  return err;
}

/**
 * liblzma in WebAssembly as a Node Transform: a multi-stream decoder (files made with
 * `cat a.xz b.xz` decode whole; the package's own web stream stops after the first), output in
 * chunkSize pieces, its memory freed on end, error or destroy.
 */
class WasmUnxz extends Transform {
  private stream: LzmaStream | undefined;
  private outPtr = 0;
  private inPtr = 0;
  private inCapacity = 0;
  private ended = false;

  constructor(
    private readonly module: LzmaModule,
    Stream: new (module: never) => LzmaStream,
    private readonly chunkSize: number,
  ) {
    super();
    this.stream = new Stream(module as never);
    this.outPtr = module._malloc(chunkSize);
    const ret = this.outPtr === 0 ? LZMA_MEM_ERROR : module._lzma_stream_decoder(this.stream.ptr, MEMLIMIT, LZMA_CONCATENATED);
    if (ret !== LZMA_OK) {
      this.release();
      throw lzmaError(ret);
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.code(chunk, LZMA_RUN);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.code(undefined, LZMA_FINISH);
      this.release();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    callback(err);
  }

  private code(chunk: Buffer | undefined, action: number): void {
    const { module, stream } = this;
    if (!stream) throw lzmaError(LZMA_PROG_ERROR);
    if (this.ended) return;
    if (chunk && chunk.length > 0) {
      if (chunk.length > this.inCapacity) {
        if (this.inPtr) module._free(this.inPtr);
        this.inPtr = module._malloc(chunk.length);
        this.inCapacity = this.inPtr ? chunk.length : 0;
        if (!this.inPtr) throw lzmaError(LZMA_MEM_ERROR);
      }
      module.HEAPU8.set(chunk, this.inPtr);
      stream.setInput(this.inPtr, chunk.length);
    } else {
      stream.setInput(0, 0);
    }
    for (let idle = 0; ; ) {
      stream.setOutput(this.outPtr, this.chunkSize);
      const ret = module._lzma_code(stream.ptr, action);
      const produced = this.chunkSize - stream.availOut;
      // HEAPU8 is looked up again: the heap's buffer is replaced when the WebAssembly memory grows.
      if (produced > 0) this.push(Buffer.from(module.HEAPU8.subarray(this.outPtr, this.outPtr + produced)));
      if (ret === LZMA_STREAM_END) {
        this.ended = true;
        return;
      }
      if (ret !== LZMA_OK) throw lzmaError(ret);
      // At the end of input liblzma is called until it says the stream ended or, when the data
      // stops early, that it cannot go on (LZMA_BUF_ERROR, on the second call without progress).
      if (stream.availIn === 0 && stream.availOut > 0) {
        if (action !== LZMA_FINISH) return;
        if (produced === 0 && ++idle > 2) throw lzmaError(LZMA_BUF_ERROR); // should liblzma ever not say so
      }
    }
  }

  private release(): void {
    if (this.stream) {
      this.module._lzma_end(this.stream.ptr);
      this.stream.free();
      this.stream = undefined;
    }
    if (this.outPtr) this.module._free(this.outPtr);
    if (this.inPtr) this.module._free(this.inPtr);
    this.outPtr = this.inPtr = this.inCapacity = 0;
  }
}

/**
 * Passes xz data through and tells whether it ended as a stream does: with a stream footer, whose
 * last two bytes are "YZ", then only stream padding (zero bytes).
 */
export class XzTail extends Transform {
  /** the last two non-zero bytes seen, as (previous << 8) | last */
  private tail = 0;
  private sawData = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let i = chunk.length - 1;
    while (i >= 0 && chunk[i] === 0) i--;
    if (i >= 1) this.tail = (chunk[i - 1]! << 8) | chunk[i]!;
    else if (i === 0) this.tail = ((this.tail & 0xff) << 8) | chunk[0]!;
    if (i >= 0) this.sawData = true;
    callback(null, chunk);
  }

  /** true when what passed so far ends as xz data does (or nothing passed: "empty" is the reader's) */
  complete(): boolean {
    return !this.sawData || this.tail === 0x595a;
  }
}
