// One lookup for a value that may come from a flag, the process environment,
// env files or esb.toml (in that order of strength), else a default; and
// where each came from, for messages. Pure.
import { CONFIG_FILE, type Inputs } from './read.ts'
import { lineOf, MODES, type Mode } from './schema.ts'

/** A value and where it came from (a flag, a variable and its file, esb.toml, 'default'). */
export interface Picked {
  value: string
  where: string
}

export interface Lookup {
  projectDir: string
  flags: Inputs['flags']
  processEnv: Inputs['processEnv']
  /** esb.toml's path, for messages */
  tf: string
  /** `keyAt(section)(key)`: the file:line of a key, for messages (the file alone when the line is unknown) */
  keyAt: (section: string) => (key: string) => string
  /**
   * the names env files set, with the value docker gets: the process environment's when it
   * has the name (it always wins, as in compose), else the file's (later files winning)
   */
  fileVars: Record<string, string>
  /** where each of fileVars came from: its env file, or `environment variable X (over <file>)` */
  fileOf: Record<string, string>
  pick: (
    flag: string | undefined,
    flagName: string,
    envNames: string[],
    tomlVal: unknown,
    tomlWhere: string,
    dflt: string,
  ) => Picked
}

export function lookupOf(inp: Inputs): Lookup {
  const { flags, processEnv, toml, envFiles, projectDir } = inp
  const tf = toml?.file ?? CONFIG_FILE
  const keyAt = (section: string) => (k: string) => {
    const l = toml ? lineOf(toml.text, section, k) : null
    return l ? `${tf}:${l}` : tf
  }
  // what the files say (pick reads these after the process environment)...
  const inFiles: Record<string, string> = {}
  const inFile: Record<string, string> = {}
  for (const f of envFiles)
    for (const [k, v] of Object.entries(f.vars)) {
      inFiles[k] = v
      inFile[k] = f.file
    }
  // ...and what docker gets: the user's own value wins over every file
  const fileVars: Record<string, string> = {}
  const fileOf: Record<string, string> = {}
  for (const [k, v] of Object.entries(inFiles)) {
    const own = processEnv[k]
    fileVars[k] = own ?? v
    fileOf[k] = own === undefined ? inFile[k] : `environment variable ${k} (over ${inFile[k]})`
  }
  // plain ENV/MODE are generic names (a shell may export ENV): used only when their value fits
  const fits = (n: string, v: string) =>
    n === 'ENV' ? /^[a-z0-9][a-z0-9_-]*$/.test(v) : n === 'MODE' ? MODES.includes(v as Mode) : true
  const fromEnv = (names: string[]): Picked | null => {
    for (const n of names) {
      const v = processEnv[n]
      if (v !== undefined && v !== '' && fits(n, v)) return { value: v, where: `environment variable ${n}` }
    }
    for (const n of names) {
      const v = inFiles[n]
      if (v !== undefined && v !== '') return { value: v, where: `${inFile[n]}: ${n}` }
    }
    return null
  }
  const pick: Lookup['pick'] = (flag, flagName, envNames, tomlVal, tomlWhere, dflt) => {
    if (flag !== undefined) return { value: flag, where: flagName }
    const e = fromEnv(envNames)
    if (e) return e
    if (tomlVal !== undefined) return { value: String(tomlVal), where: tomlWhere }
    return { value: dflt, where: 'default' }
  }
  return { projectDir, flags, processEnv, tf, keyAt, fileVars, fileOf, pick }
}
