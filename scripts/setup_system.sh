#!/usr/bin/env bash
# Installs, from the distribution's packages, what the plugin's tools need and is missing:
# QGIS with its Python bindings, Xvfb (desktop tests, screenshots), the Qt translation tools,
# poppler (PDF checks), venv, and pyproj (it must use QGIS's own PROJ library).
# Debian 12 (QGIS 3.22), Debian 13 (QGIS 3.40) and Debian unstable (QGIS 3.44). Idempotent.
set -euo pipefail
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=0
update() { [ "$updated" -eq 1 ] || { $SUDO apt-get update -q; updated=1; }; }

packages=(qgis python3-qgis qgis-providers python3-pyproj xvfb xauth poppler-utils
          python3-venv python3-pip fonts-dejavu-core git make
          postgresql postgresql-postgis)  # PostgreSQL + PostGIS: the tests start a throw-away server
# lrelease: Qt 5's tools where the distribution still has them, else Qt 6's.
if ! command -v lrelease >/dev/null 2>&1; then
  ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || update
  if apt-cache show qttools5-dev-tools >/dev/null 2>&1; then
    packages+=(qttools5-dev-tools)
  else
    packages+=(qt6-l10n-tools)
  fi
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages to install: ${missing[*]}"
update
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
