/**
 * The SSH wire encoding (RFC 4251 §5) that OpenSSH keys and SSHSIG signatures are made of: big-endian uint32s and
 * length-prefixed strings.
 */

export function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** Reads a buffer field by field; any read past its end throws `WireError`. */
export class WireReader {
  #offset = 0;

  constructor(private readonly bytes: Buffer) {}

  get done(): boolean {
    return this.#offset === this.bytes.length;
  }

  /** What is left, unread. */
  rest(): Buffer {
    return this.bytes.subarray(this.#offset);
  }

  raw(length: number): Buffer {
    if (this.#offset + length > this.bytes.length) throw new WireError();
    const value = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  uint32(): number {
    return this.raw(4).readUInt32BE();
  }

  string(): Buffer {
    return this.raw(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }
}

/** The bytes end before a field they announce: truncated or not SSH-encoded at all. */
export class WireError extends Error {
  constructor() {
    super('truncated SSH-encoded data');
  }
}
