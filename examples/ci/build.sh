#!/bin/sh
# The CI recipe of docs/ci.md as a plain script (the e2e runs it as a fresh
# runner would): build, taking by key whatever any runner already built, then
# the deploy list read from the metadata file alone (no second registry call).
#   sh examples/ci/build.sh [METADATA_FILE]    (default images.json)
# Writes METADATA_FILE, build-report.json (the hit report) and deploy.txt
# (`<target> <repository>@<digest>` per image). Run from the project root.
set -eu
meta=${1:-images.json}
docker esb build --metadata-file "$meta" --format json > build-report.json
# what a deploy step needs: each image by digest
node -e '
const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
const lines = Object.entries(m).map(([t, e]) => {
  const name = String(e["image.name"] || "").split(",")[0].replace(/:[^:/]+$/, "")
  if (!name || !e["containerimage.digest"]) throw new Error(`${t}: no image name or digest in ${process.argv[1]}`)
  return `${t} ${name}@${e["containerimage.digest"]}`
})
require("fs").writeFileSync("deploy.txt", lines.join("\n") + "\n")
console.log(`deploy.txt: ${lines.length} image(s) by digest`)
' "$meta"
