// CommonJS has no import.meta; esbuild maps import.meta.url to this.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href
