/** The names of the signing files a release publishes beside its others: what a downloader looks for. */

/** `<file>.sig`: the SSHSIG signature of a release file, e.g. `hello-1.2.3-SHA256SUMS.sig`. */
export const signatureFileName = (file: string) => `${file}.sig`;

/** `<project>-<version>.provenance.intoto.jsonl`: the signed SLSA provenance of the release's build. */
export const provenanceFileName = (project: string, version: string) => `${project}-${version}.provenance.intoto.jsonl`;

/** `<project>-<version>.publish.intoto.jsonl`: the signed record of where every file was published. */
export const publishAttestationFileName = (project: string, version: string) =>
  `${project}-${version}.publish.intoto.jsonl`;

/** In the checksum repository, beside the hash file: the key for `ssh-keygen -Y verify`, and for cosign. */
export const allowedSignersFile = 'allowed_signers';
export const publicKeyPemFile = 'release-key.pem';
