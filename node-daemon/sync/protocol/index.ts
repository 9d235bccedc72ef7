/**
 * The box↔hub sync protocol's shared, pure pieces: HTTP Message Signatures (RFC 9421, Ed25519, the fenghuo profile),
 * Content-Digest (RFC 9530), the replay guard and the refusal codes. The box (node-daemon/sync) and the county hub
 * (hub/) both import from here. docs/sync-signatures.md describes the profile.
 */
export * from './http-signatures.js';
export * from './content-digest.js';
export * from './replay-guard.js';
export * from './refusal.js';
export {
  buildSignatureBase,
  component,
  fieldValue,
  serializeComponentId,
  type ComponentId,
  type HeaderBag,
  type RequestMessage,
  type ResponseMessage,
  type SignatureTarget,
} from './signature-base.js';
export * from './order.js';
