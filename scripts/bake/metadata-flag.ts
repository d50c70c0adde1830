// `docker esb build --metadata-file FILE`: where bake's metadata of every
// target goes (report/metadata.ts writes it, whole, at the end of the run).
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../errors.ts'

export const METADATA_FILE_FLAG: [string, string] = [
  '--metadata-file FILE',
  "write bake's metadata (containerimage.digest, image.name, ...) of every target, built or skipped, to FILE",
]

/** The flag's file, absolute (relative to the working folder); its folder must exist and it must not be a folder. */
export function metadataFileFlag(value: string | undefined, cwd: string): string | undefined {
  if (value === undefined) return undefined
  if (!value.trim()) throw new UsageError('--metadata-file needs a file name, e.g. --metadata-file build-metadata.json')
  const file = path.resolve(cwd, value)
  if (!fs.statSync(path.dirname(file), { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--metadata-file ${value}: folder ${path.dirname(file)} does not exist; create it or give another path`)
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--metadata-file ${value}: is a folder; give a file name`)
  return file
}
