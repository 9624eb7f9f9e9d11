#!/usr/bin/env bash
# Installs the Debian packages GeneRec needs, only when one is missing (so a second run is instant).
# Node.js/npm may come from NodeSource rather than Debian (its nodejs bundles npm and conflicts
# with Debian's npm package), so those two are checked by command, not by dpkg.
set -euo pipefail
PKGS=(chromium chromium-driver libcairo2 fonts-dejavu-core espeak-ng postgresql redis-server)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "apt: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
