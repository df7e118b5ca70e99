/**
 * DSSE envelopes (secure-systems-lab/dsse, protocol v1) around in-toto statements, signed with the release key: what
 * `cosign verify-blob-attestation --key`, in-toto and sigstore verifiers read. One envelope is one line of JSON, the
 * `.intoto.jsonl` convention of SLSA provenance files.
 */
import { z } from 'zod';
import { RelforgeError } from '@relforge/errors';
import type { ReleaseKey, ReleasePublicKey } from './keys.js';
import { Statement } from './statements.js';

export const inTotoPayloadType = 'application/vnd.in-toto+json';

export const Envelope = z.strictObject({
  payloadType: z.string(),
  payload: z.string().meta({ description: 'The statement, base64 (standard alphabet, padded).' }),
  signatures: z
    .array(
      z.object({
        keyid: z
          .string()
          .optional()
          .meta({ description: "The signing key's SHA256 fingerprint, as ssh-keygen -l prints it." }),
        sig: z.string().meta({ description: 'The ed25519 signature of PAE(payloadType, payload), base64.' }),
      }),
    )
    .min(1),
});
export type Envelope = z.infer<typeof Envelope>;

/** An envelope that is not one, or whose signature does not verify with a trusted key. */
export class EnvelopeError extends RelforgeError {}

/** DSSE's pre-authentication encoding: what is signed, binding the payload to its type. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

/** The statement in a signed envelope, as the text of an `.intoto.jsonl` file (one line and a newline). */
export function signStatement(key: ReleaseKey, statement: Statement): string {
  const payload = Buffer.from(JSON.stringify(Statement.parse(statement)), 'utf8');
  const envelope: Envelope = {
    payloadType: inTotoPayloadType,
    payload: payload.toString('base64'),
    signatures: [
      { keyid: key.publicKey.fingerprint, sig: key.sign(pae(inTotoPayloadType, payload)).toString('base64') },
    ],
  };
  return `${JSON.stringify(envelope)}\n`;
}

/**
 * The statement of an envelope (the text of an `.intoto.jsonl` file) signed by one of `trusted`, with the key that
 * signed it. `name` says which file it is, for the error.
 */
export function verifyStatement(
  text: string,
  trusted: readonly ReleasePublicKey[],
  name: string,
): { statement: Statement; signer: ReleasePublicKey } {
  const refuse = (why: string, fix = `download ${name} again`) => new EnvelopeError(`${name}: ${why}`, { fix });
  let envelope: Envelope;
  try {
    envelope = Envelope.parse(JSON.parse(text));
  } catch {
    throw refuse('not a DSSE envelope');
  }
  if (envelope.payloadType !== inTotoPayloadType)
    throw refuse(`its payload is ${envelope.payloadType}, not an in-toto statement`);
  const payload = Buffer.from(envelope.payload, 'base64');
  const signed = pae(envelope.payloadType, payload);
  const signer = trusted.find((key) =>
    envelope.signatures.some((signature) => key.verifies(signed, Buffer.from(signature.sig, 'base64'))),
  );
  if (!signer)
    throw refuse(
      "no signature in it verifies with the project's release key",
      `the file changed after signing, or another key signed it: download it again, and do not trust ${name} if it persists`,
    );
  let statement: Statement;
  try {
    statement = Statement.parse(JSON.parse(payload.toString('utf8')));
  } catch {
    throw refuse('its signed payload is not an in-toto Statement v1');
  }
  return { statement, signer };
}
