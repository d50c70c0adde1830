// Kept tiny and import-free: docker asks for this on EVERY `docker esb ...`
// call and for every plugin on `docker --help`.
declare const __ESB_VERSION__: string | undefined

export const VERSION = typeof __ESB_VERSION__ !== 'undefined' ? __ESB_VERSION__ : '0.0.0-dev'

export const METADATA = {
  SchemaVersion: '0.1.0',
  Vendor: 'docker esb developers',
  Version: VERSION,
  ShortDescription: 'Build and run ESB stacks: one docker-container builder, a local registry, per-target caches',
}
