#!/usr/bin/env bash
# make test-compat: `make test` and `make demo` of this working tree inside Debian root
# filesystems whose QGIS comes from Debian's own packages:
#   debian13 = Debian 13 "trixie"   (QGIS 3.40 LTR, Python 3.13, numpy 2)
#   sid      = Debian unstable      (QGIS 3.44,     Python 3.14)
# The root filesystems are built once with mmdebstrap and cached (EIT_COMPAT_CACHE,
# /var/cache/eit-compat by default); the plugin's own `make setup` then runs inside each one,
# so what it installs is what a user of that Debian gets. Prints one line per platform.
#
#   scripts/compat.sh [build|run|all] [platform ...]       (default: all debian13 sid)
#
# Needs root (mmdebstrap, chroot, mounts); uses sudo when not root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then exec sudo --preserve-env=CI,EIT_COMPAT_CACHE "$0" "$@"; fi

HERE=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${EIT_COMPAT_CACHE:-/var/cache/eit-compat}
MIRROR=${EIT_COMPAT_MIRROR:-http://deb.debian.org/debian}
ACTION=${1:-all}
shift || true
PLATFORMS=("$@")
[ ${#PLATFORMS[@]} -gt 0 ] || PLATFORMS=(debian13 sid)

suite_of() {
  case "$1" in
    debian13) echo trixie ;;
    sid) echo sid ;;
    *) echo "unknown platform: $1 (debian13 or sid)" >&2; exit 2 ;;
  esac
}

ensure_host_tools() {
  local missing=()
  for p in mmdebstrap rsync poppler-utils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The host's certificates and pip settings, so that pip inside reaches the same index.
copy_host_settings() {
  local root=$1
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$root/etc/eit-host"
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/eit-host/ca-certificates.crt"
  fi
  [ -f /etc/pip.conf ] && cp -L /etc/pip.conf "$root/etc/pip.conf"
  if [ -d /etc/xdg/pip ]; then mkdir -p "$root/etc/xdg"; rm -rf "$root/etc/xdg/pip"; cp -rL /etc/xdg/pip "$root/etc/xdg/pip"; fi
  if [ -f "$HOME/.config/pip/pip.conf" ]; then
    mkdir -p "$root/root/.config/pip"; cp -L "$HOME/.config/pip/pip.conf" "$root/root/.config/pip/pip.conf"
  fi
}

build() {
  local platform=$1 suite root stamp want
  suite=$(suite_of "$platform")
  root="$CACHE/$platform"
  stamp="$root/.eit-rootfs"
  want="$suite $(sha256sum "$HERE/scripts/setup_system.sh" | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  if [ ! -f "$root/etc/debian_version" ]; then
    echo "[$platform] building the Debian $suite root filesystem (once; cached in $root)"
    rm -rf "$root.tmp"
    mkdir -p "$CACHE"
    # The mirror may serve a dated snapshot whose Release files are past their Valid-Until.
    mmdebstrap --variant=apt --components=main --include=ca-certificates,make,git,python3,rsync \
      --aptopt='Acquire::Check-Valid-Until "false"' \
      "$suite" "$root.tmp" "$MIRROR" > "$CACHE/$platform-build.log" 2>&1 \
      || { echo "[$platform] mmdebstrap failed: $CACHE/$platform-build.log" >&2; tail -20 "$CACHE/$platform-build.log" >&2; exit 1; }
    rm -rf "$root"; mv "$root.tmp" "$root"
  fi
  echo "[$platform] installing the system packages of scripts/setup_system.sh"
  copy_host_settings "$root"
  cp "$HERE/scripts/setup_system.sh" "$root/tmp/setup_system.sh"
  in_root "$platform" "bash /tmp/setup_system.sh" >> "$CACHE/$platform-build.log" 2>&1 \
    || { echo "[$platform] setup_system.sh failed: $CACHE/$platform-build.log" >&2; tail -20 "$CACHE/$platform-build.log" >&2; exit 1; }
  echo "$want" > "$stamp"
}

# Runs a command inside the root filesystem, in a private mount namespace (the mounts end with it).
in_root() {
  local platform=$1 command=$2 root="$CACHE/$1"
  copy_host_settings "$root"
  unshare --mount --propagation private -- bash -euc '
    root=$1; command=$2
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o size=8g tmpfs "$root/dev/shm"
    for d in /opt/wheels /opt/pypi /opt/pypi-more; do
      if [ -d "$d" ]; then mkdir -p "$root$d"; mount --bind -o ro "$d" "$root$d"; fi
    done
    cert=/etc/ssl/certs/ca-certificates.crt
    [ -f "$root/etc/eit-host/ca-certificates.crt" ] && cert=/etc/eit-host/ca-certificates.crt
    exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      DEBIAN_FRONTEND=noninteractive CI="${CI:-}" \
      SSL_CERT_FILE="$cert" PIP_CERT="$cert" REQUESTS_CA_BUNDLE="$cert" \
      PIP_DEFAULT_TIMEOUT=180 PIP_DISABLE_PIP_VERSION_CHECK=1 \
      bash -lc "$command"
  ' _ "$root" "$command"
}

# Copies the working tree (uncommitted changes included, git history for `make package`).
sync_tree() {
  local root=$1
  mkdir -p "$root/eit/src"
  rsync -a --delete --exclude /.venv --exclude /demo-output --exclude /dist --exclude /build \
    --exclude /test-artifacts --exclude __pycache__ --exclude .pytest_cache --exclude .ruff_cache \
    --exclude '/i18n/*.qm' --exclude '/.git/*.lock' "$HERE/" "$root/eit/src/"
}

count() {  # "N passed" summed over the pytest runs of a log
  grep -aE '^=+ .*(passed|failed|error).* in [0-9.]+s' "$1" | grep -aoE '[0-9]+ passed' \
    | awk '{s += $1} END {print s + 0}'
}

run() {
  local platform=$1 root="$CACHE/$1" log="$CACHE/$1-test.log" status=0 pages=0 versions
  sync_tree "$root"
  in_root "$platform" "cd /eit/src && make test VENV=/opt/eit-venv && make demo VENV=/opt/eit-venv" \
    > "$log" 2>&1 || status=$?
  [ -f "$root/eit/src/demo-output/atlas.pdf" ] && \
    pages=$(pdfinfo "$root/eit/src/demo-output/atlas.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
  versions=$(in_root "$platform" "/opt/eit-venv/bin/python -c 'import platform, numpy, qgis.core as q; print(\"QGIS\", q.Qgis.QGIS_VERSION.split(\"-\")[0], \"| Python\", platform.python_version(), \"| numpy\", numpy.__version__)'" 2>/dev/null | tail -1 || true)
  mkdir -p "$HERE/test-artifacts"
  cp "$log" "$HERE/test-artifacts/compat-$platform.log" 2>/dev/null || true
  [ -f "$root/eit/src/demo-output/atlas.pdf" ] && cp "$root/eit/src/demo-output/atlas.pdf" "$HERE/test-artifacts/compat-$platform-atlas.pdf"
  local verdict="ok"
  [ "$status" -eq 0 ] || verdict="FAILED (exit $status, log $log)"
  echo "$platform ($(suite_of "$platform")): ${versions:-versions unknown} | tests passed $(count "$log") | demo atlas ${pages:-0} pages | $verdict" | tee -a "$CACHE/summary.txt"
  if [ "$status" -ne 0 ]; then
    grep -aE '^(FAILED|ERROR) |^E  ' "$log" | head -30 >&2 || true
    tail -15 "$log" >&2
  fi
  return "$status"
}

ensure_host_tools
failed=0
if [ "$ACTION" = build ] || [ "$ACTION" = all ]; then
  for p in "${PLATFORMS[@]}"; do build "$p"; done
fi
if [ "$ACTION" = run ] || [ "$ACTION" = all ]; then
  results=()
  for p in "${PLATFORMS[@]}"; do
    start=$(date +%s)
    if line=$(run "$p"); then :; else failed=1; fi
    results+=("$line ($(( $(date +%s) - start )) s)")
  done
  echo "== make test-compat"
  printf '%s\n' "${results[@]}"
fi
exit "$failed"
