// The OCI shapes the image copy code shares (descriptors, manifests as stored).

export interface Platform {
  os?: string
  architecture?: string
  variant?: string
}

export interface Desc {
  mediaType: string
  digest: string
  size: number
  platform?: Platform
  annotations?: Record<string, string>
}

/** The parts of a manifest or index docker esb reads (JSON from a registry or an archive). */
export interface ManifestJson {
  schemaVersion?: number
  mediaType?: string
  config?: Desc
  layers?: Desc[]
  manifests?: Desc[]
  [key: string]: unknown
}

/** A manifest or index as stored: its exact bytes (digests depend on them) and parsed JSON. */
export interface Manifest {
  mediaType: string
  digest: string
  bytes: Buffer
  json: ManifestJson
}
