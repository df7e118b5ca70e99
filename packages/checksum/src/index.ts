export { ChecksumMismatchError, digestFile, verifyFile, type DigestOptions, type FileDigest } from './digest.js';
export {
  ChecksumEntry,
  ChecksumFileName,
  ChecksumsFormatError,
  checksumFileNames,
  checksumsText,
  parseChecksumsText,
  sidecarText,
  type ChecksumAlgorithm,
  type ParsedChecksum,
} from './sums.js';
