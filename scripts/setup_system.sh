#!/usr/bin/env bash
# Installs, from the distribution's packages, what the plugin's tools need and is missing:
# QGIS with its Python bindings, Xvfb (desktop tests, screenshots), the Qt translation tools,
# poppler (PDF checks), venv, and pyproj (it must use QGIS's own PROJ library). Debian 12 (QGIS 3.22) and Debian 13 (QGIS 3.40). Idempotent.
set -euo pipefail
packages=(qgis python3-qgis qgis-providers python3-pyproj xvfb xauth qttools5-dev-tools poppler-utils
          python3-venv python3-pip fonts-dejavu-core git)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages to install: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
