#!/bin/sh
# The browser tests' npm packages (puppeteer-core, axe-core) at the versions
# of tests/browser/package-lock.json, installed with `npm ci` into the build
# folder, never into the sources: a fresh clone needs only node, npm and the
# npm registry. Done again only when the lock file changes. puppeteer-core
# downloads no browser; the tests drive Debian's chromium.
#
#   npm_ci.sh SOURCE_DIR DEST_DIR
set -eu
src="$1/tests/browser"
dest="$2"
mkdir -p "$dest"
if cmp -s "$src/package-lock.json" "$dest/package-lock.json" && [ -f "$dest/node_modules/puppeteer-core/package.json" ] &&
   [ -f "$dest/node_modules/axe-core/axe.min.js" ]; then
  echo "npm packages of $dest are those of $src/package-lock.json"
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
echo "npm ci in $dest: $(ls node_modules | wc -l) packages"
