/**
 * API Gateway refuses WebSocket frames over 32 KB (a longer message must be
 * fragmented). `ws` only limits whole messages, so this reads the frame
 * headers of the client's byte stream alongside it and reports the first
 * frame over the limit.
 */
export function watchFrameSizes(maxFrameBytes: number, onTooBig: () => void): (chunk: Buffer) => void {
  let carry: Buffer | undefined; // a header split across chunks
  let payloadLeft = 0;
  let tripped = false;

  return (chunk: Buffer) => {
    const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let offset = 0;
    while (!tripped && offset < bytes.length) {
      if (payloadLeft > 0) {
        const skip = Math.min(payloadLeft, bytes.length - offset);
        payloadLeft -= skip;
        offset += skip;
        continue;
      }
      const available = bytes.length - offset;
      const len7 = available >= 2 ? bytes[offset + 1]! & 0x7f : 0;
      const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const headerLength = 2 + extra + (available >= 2 && bytes[offset + 1]! & 0x80 ? 4 : 0);
      if (available < 2 || available < headerLength) {
        carry = Buffer.from(bytes.subarray(offset));
        return;
      }
      const length = extra === 0 ? len7 : extra === 2 ? bytes.readUInt16BE(offset + 2) : Number(bytes.readBigUInt64BE(offset + 2));
      offset += headerLength;
      if (length > maxFrameBytes) {
        tripped = true;
        onTooBig();
        return;
      }
      payloadLeft = length;
    }
  };
}
