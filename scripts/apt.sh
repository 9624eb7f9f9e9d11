#!/usr/bin/env bash
# Installs the Debian packages GeneRec needs, only when one is missing (so a second run is instant).
set -euo pipefail
PKGS=(chromium chromium-driver libcairo2 fonts-dejavu-core espeak-ng postgresql nodejs npm)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
