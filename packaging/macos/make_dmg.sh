#!/usr/bin/env bash
# A drag-to-Applications disk image of SparkTrainer.app: make_dmg.sh APP DMG
# (`python packaging/build.py macos` runs it on a macOS runner; hdiutil is macOS's own).
set -euo pipefail
app="$1"
dmg="$2"
if [ ! -d "$app/Contents/MacOS" ]; then
    echo "make_dmg.sh: $app is not an application bundle" >&2
    exit 1
fi
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "SparkTrainer" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
hdiutil verify "$dmg"
