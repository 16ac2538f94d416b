#!/usr/bin/env bash
# Ensures headless Chromium for the HTML report's browser test (and for looking at reports), from the Debian
# package: nothing is downloaded from any other host. Prints the browser's path on stdout.
#   bash infra/local/browser.sh
set -euo pipefail

for name in chromium chromium-browser; do
  if path=$(command -v "$name"); then
    echo "$path"
    exit 0
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "browser: no Chromium here; install it with 'sudo apt-get install -y chromium' (or run this script as root)" >&2
  exit 1
fi
command -v apt-get >/dev/null || { echo "browser: no Chromium and no apt-get here to install it" >&2; exit 1; }
echo "browser: installing chromium (Debian package)" >&2
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
command -v chromium
