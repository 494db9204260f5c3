/**
 * A pass-through stream that counts and hashes the bytes going through it and fails as soon
 * as they pass a limit, so a store can refuse an oversized upload while it streams.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** The bytes were more than the store was allowed to keep. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ${maxBytes} bytes`);
    this.name = "FileTooLargeError";
  }
}

export class MeteredStream extends Transform {
  /** Bytes seen so far. (Not `size`: lib-storage would read that as the body's length.) */
  received = 0;
  /** Set once the limit was passed (the stream then errors with FileTooLargeError). */
  tooLarge = false;
  private readonly hash = createHash("sha256");

  constructor(private readonly maxBytes = Infinity) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.received += chunk.byteLength;
    if (this.received > this.maxBytes) {
      this.tooLarge = true;
      callback(new FileTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** The SHA-256 (hex) of everything that went through; call once, after the end. */
  sha256(): string {
    return this.hash.digest("hex");
  }
}
