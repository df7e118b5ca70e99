export { keyType, keygenCommand, ReleaseKey, ReleaseKeyError, ReleasePublicKey } from './keys.js';
export { signatureNamespace, signFile, SignatureError, verifyFileSignature } from './sshsig.js';
export { allowedSignersLine, allowedSignersText, parseAllowedSigners, type AllowedSigner } from './allowed-signers.js';
export { Envelope, EnvelopeError, inTotoPayloadType, pae, signStatement, verifyStatement } from './dsse.js';
export {
  Placement,
  ProvenanceStatement,
  PublishPredicate,
  PublishStatement,
  RelforgeExternalParameters,
  RelforgeInternalParameters,
  ResourceDescriptor,
  SlsaProvenance,
  Statement,
  Subject,
  provenanceStatement,
  publishPredicateType,
  publishStatement,
  relforgeBuildType,
  slsaProvenanceType,
  statementType,
  type ProvenanceFacts,
} from './statements.js';
export {
  allowedSignersFile,
  provenanceFileName,
  publicKeyPemFile,
  publishAttestationFileName,
  signatureFileName,
} from './files.js';
