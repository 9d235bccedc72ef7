#!/bin/sh
# Installs fenghuo on a Debian 12 / Raspberry Pi OS box as a systemd service; see "Install on a box" in README.md.
#
#   sudo systemd/install.sh [--from-tarball FILE] [--hub] [--no-apt] [--no-start]
#   sudo systemd/install.sh --uninstall [--purge]
#   systemd/install.sh --destdir DIR ...      (or DESTDIR=DIR): write the files under DIR only (a package, a test)
#
# Idempotent: a second run with the same app changes nothing and says so. The configuration
# /etc/fenghuo/fenghuo.yaml is written (from config/example.yaml, commented) only when there is none: it is the
# technician's file from then on. --uninstall keeps /etc/fenghuo and /var/lib/fenghuo (the readings, alarms,
# accounts) unless --purge.
set -eu

usage() {
  cat <<'USAGE'
usage: install.sh [options]
  --from-tarball FILE   install the app from a release tarball (fenghuo-VERSION-ARCH.tar.gz) instead of this checkout
  --from-checkout DIR   install the app from this checkout (default: the one install.sh is in; npm install done)
  --destdir DIR         install under DIR (also DESTDIR=DIR); no apt, users, systemctl or udev: printed as skipped
  --prefix DIR          where the app goes (default /opt/fenghuo: releases/<id> and the symlink current)
  --bindir DIR          where the `fenghuo` command link goes (default /usr/local/bin)
  --hub                 also write /etc/fenghuo/hub.yaml (if absent) and enable fenghuo-hub.service
  --no-apt              do not install Debian packages
  --no-start            install and enable, but do not (re)start the services
  --uninstall           remove the app, units, rules and users' files; keeps /etc/fenghuo and /var/lib/fenghuo*
  --purge               with --uninstall: also delete /etc/fenghuo, /var/lib/fenghuo*, and the system users
  -h, --help            this text
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
DESTDIR=${DESTDIR:-}
prefix=/opt/fenghuo
bindir=/usr/local/bin
checkout=$(dirname "$here")
tarball=
hub=no
apt=yes
start=yes
uninstall=no
purge=no
while [ $# -gt 0 ]; do
  case $1 in
    --from-tarball) tarball=${2:?--from-tarball needs a file}; shift ;;
    --from-checkout) checkout=${2:?--from-checkout needs a directory}; shift ;;
    --destdir) DESTDIR=${2:?--destdir needs a directory}; shift ;;
    --prefix) prefix=${2:?--prefix needs a directory}; shift ;;
    --bindir) bindir=${2:?--bindir needs a directory}; shift ;;
    --hub) hub=yes ;;
    --no-apt) apt=no ;;
    --no-start) start=no ;;
    --uninstall) uninstall=yes ;;
    --purge) purge=yes ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ "$purge" = yes ] && [ "$uninstall" = no ] && { echo "install.sh: --purge goes with --uninstall" >&2; exit 2; }
case $prefix in /*) ;; *) echo "install.sh: --prefix must be absolute" >&2; exit 2 ;; esac

# A real system: no DESTDIR (or DESTDIR=/) and root. Otherwise every step that needs one is printed as skipped.
root=${DESTDIR%/}
real=no
if [ -z "$root" ] && [ "$(id -u)" -eq 0 ]; then real=yes; fi
if [ -z "$root" ] && [ "$real" = no ]; then echo "install.sh: run as root (sudo), or give --destdir DIR" >&2; exit 2; fi

unitdir=/usr/lib/systemd/system
changes=0
changed() { changes=$((changes + 1)); echo "changed: $1"; }
skipped() { echo "skipped (not a real root): $1"; }

# install_file SRC DEST MODE: copies when the content or mode differs.
install_file() {
  dst=$root$2
  if [ -f "$dst" ] && cmp -s "$1" "$dst" && [ "$(stat -c %a "$dst")" = "$3" ]; then return 0; fi
  mkdir -p "$(dirname "$dst")"
  cp "$1" "$dst.new.$$"
  chmod "$3" "$dst.new.$$"
  mv -f "$dst.new.$$" "$dst"
  changed "$2"
}
# link TARGET NAME: a symlink, replaced atomically when it points elsewhere.
link() {
  if [ -L "$root$2" ] && [ "$(readlink "$root$2")" = "$1" ]; then return 0; fi
  mkdir -p "$(dirname "$root$2")"
  ln -sfn "$1" "$root$2.new.$$"
  mv -Tf "$root$2.new.$$" "$root$2"
  changed "$2 -> $1"
}
remove() {
  for p in "$@"; do
    if [ -e "$root$p" ] || [ -L "$root$p" ]; then rm -rf "$root$p"; changed "removed $p"; fi
  done
}
# with_prefix FILE: the unit with /opt/fenghuo replaced by --prefix.
with_prefix() { sed "s#/opt/fenghuo/#$prefix/#g" "$1"; }

units="fenghuo.service fenghuo-hub.service"

if [ "$uninstall" = yes ]; then
  if [ "$real" = yes ]; then
    systemctl disable --now $units 2>/dev/null || true
  else
    skipped "systemctl disable --now $units"
  fi
  for u in $units; do remove "$unitdir/$u"; done
  remove /usr/lib/udev/rules.d/70-fenghuo.rules /usr/lib/sysusers.d/fenghuo.conf /usr/lib/sysusers.d/fenghuo-gpio.conf \
    /usr/lib/tmpfiles.d/fenghuo.conf "$bindir/fenghuo" "$prefix"
  if [ "$purge" = yes ]; then
    remove /etc/fenghuo /var/lib/fenghuo /var/lib/fenghuo-hub /var/lib/private/fenghuo /var/lib/private/fenghuo-hub
    if [ "$real" = yes ]; then
      for u in fenghuo fenghuo-hub; do if getent passwd "$u" >/dev/null; then userdel "$u" && changed "removed user $u"; fi; done
      for g in fenghuo fenghuo-hub; do if getent group "$g" >/dev/null; then groupdel "$g" && changed "removed group $g"; fi; done
    else
      skipped "userdel fenghuo fenghuo-hub"
    fi
  else
    echo "kept: /etc/fenghuo and /var/lib/fenghuo* (the configuration and the data; --purge deletes them)"
  fi
  if [ "$real" = yes ]; then
    systemctl daemon-reload
    udevadm control --reload 2>/dev/null || true
  else
    skipped "systemctl daemon-reload; udevadm control --reload"
  fi
  if [ "$changes" -eq 0 ]; then echo "nothing changed"; else echo "$changes changes"; fi
  exit 0
fi

# ---- Debian packages ----
# ffmpeg (recording, audio files), espeak-ng (spoken alarms), alsa-utils (aplay), sqlite3 (for the technician).
packages="ffmpeg espeak-ng alsa-utils sqlite3"
if [ "$apt" = yes ] && [ "$real" = yes ]; then
  missing=
  for p in $packages; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
    changed "apt-get install$missing"
  fi
elif [ "$apt" = yes ]; then
  skipped "apt-get install $packages"
fi
# Node.js 20 or newer at /usr/bin/node (the units' ExecStart). Debian 12's own nodejs is 18: too old.
if [ "$real" = yes ]; then
  major=$(/usr/bin/node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "install.sh: /usr/bin/node must be Node.js 20 or newer (found: $(/usr/bin/node --version 2>/dev/null || echo none))." >&2
    echo "  Debian 12 ships Node.js 18; install the nodejs 20 package your county provides (or NodeSource's), then run this again." >&2
    exit 1
  fi
else
  skipped "check /usr/bin/node is Node.js >= 20"
fi

# ---- the app ----
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/app
if [ -n "$tarball" ]; then
  mkdir -p "$work/x"
  tar -xzf "$tarball" -C "$work/x"
  top=$work/x
  [ -f "$top/bin/fenghuo.js" ] || top=$(find "$work/x" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  [ -f "$top/bin/fenghuo.js" ] && [ -f "$top/dist/node-daemon/cli.js" ] || { echo "install.sh: $tarball is not a fenghuo release (no bin/fenghuo.js, dist/)" >&2; exit 1; }
  mv "$top" "$stage"
else
  [ -f "$checkout/dist/node-daemon/cli.js" ] || { echo "install.sh: $checkout/dist is missing: run npm install in the checkout first" >&2; exit 1; }
  mkdir -p "$stage"
  # systemd/ too: `fenghuo update` runs the new release's install.sh (and its units) from the release itself.
  for f in bin dist config systemd package.json package-lock.json README.md LICENSE; do
    if [ -e "$checkout/$f" ]; then cp -a "$checkout/$f" "$stage/"; fi
  done
  rm -rf "$stage/dist/bench"
  # The production dependencies only, as built in the checkout (native modules for this board).
  (cd "$checkout" && npm ls --omit=dev --all --parseable 2>/dev/null) | tail -n +2 | while read -r dir; do
    rel=${dir#"$checkout"/}
    mkdir -p "$stage/$(dirname "$rel")"
    if [ ! -e "$stage/$rel" ]; then cp -a "$dir" "$stage/$rel"; fi
  done
fi
# Content-addressed release: the same files give the same directory, so a second run finds it there.
chmod -R u+rwX,go+rX,go-w "$stage"
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$stage/package.json" | head -n 1)
digest=$(cd "$stage" && {
  find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
  find . \( -type f -o -type d \) -printf '%m %p\n' | LC_ALL=C sort
  find . -type l -printf '%p -> %l\n' | LC_ALL=C sort
} | sha256sum | cut -c1-12)
release=$prefix/releases/$version-$digest
if [ ! -d "$root$release" ]; then
  mkdir -p "$root$prefix/releases"
  mv "$stage" "$root$release.new.$$"
  mv "$root$release.new.$$" "$root$release"
  changed "$release"
fi
# Keep the release before this one (to go back to: fenghuo update --rollback), drop older ones. "Before" is the one
# `current` pointed to until now, not the newest by mtime: a tarball's directories carry the mtimes it was made with,
# and a release an update rolled back from must not push out the one that is running.
before=$(readlink "$root$prefix/current" 2>/dev/null || true)
before=${before##*/}
link "releases/$version-$digest" "$prefix/current"
if [ -z "$before" ] || [ "$before" = "$version-$digest" ] || [ ! -d "$root$prefix/releases/$before" ]; then
  before=$(ls -1t "$root$prefix/releases" | grep -vx "$version-$digest" | head -n 1)
fi
for old in $(ls -1 "$root$prefix/releases" | grep -vxF "$version-$digest" | grep -vxF "$before"); do remove "$prefix/releases/$old"; done
link "$prefix/current/bin/fenghuo.js" "$bindir/fenghuo"

# ---- units, rules, users, directories ----
for u in $units; do
  with_prefix "$here/$u" >"$work/$u"
  install_file "$work/$u" "$unitdir/$u" 644
done
install_file "$here/70-fenghuo.rules" /usr/lib/udev/rules.d/70-fenghuo.rules 644
install_file "$here/fenghuo.sysusers" /usr/lib/sysusers.d/fenghuo.conf 644
install_file "$here/fenghuo.tmpfiles" /usr/lib/tmpfiles.d/fenghuo.conf 644
if grep -q '^gpio:' "$root/etc/group" 2>/dev/null; then
  install_file "$here/fenghuo-gpio.sysusers" /usr/lib/sysusers.d/fenghuo-gpio.conf 644
else
  echo "note: no gpio group in $root/etc/group (not Raspberry Pi OS): fenghuo is not put in gpio"
fi

# ---- the configuration: written once, then the technician's ----
if [ ! -e "$root/etc/fenghuo/fenghuo.yaml" ]; then
  {
    echo "# fenghuo box configuration: edit for this township, check with"
    echo "#   fenghuo check-config /etc/fenghuo/fenghuo.yaml"
    echo "# then: systemctl restart fenghuo. Every key is explained below and in $prefix/current/README.md."
    echo "# Serial ports: use the stable names under /dev/fenghuo/ (ls -l /dev/fenghuo/serial /dev/fenghuo/port)."
    echo "# The data (database, recordings) is in /var/lib/fenghuo; the API listens where http.listen says."
    echo "#"
    cat "$root$release/config/example.yaml"
  } >"$work/fenghuo.yaml"
  install_file "$work/fenghuo.yaml" /etc/fenghuo/fenghuo.yaml 640
else
  echo "kept: /etc/fenghuo/fenghuo.yaml (yours; the example is $prefix/current/config/example.yaml)"
fi
if [ "$hub" = yes ] && [ ! -e "$root/etc/fenghuo/hub.yaml" ]; then
  cat >"$work/hub.yaml" <<'HUB'
# fenghuo county hub configuration (fenghuo hub --config /etc/fenghuo/hub.yaml); keys in README.md, "County hub".
# The hub's data (SQLite file, county key) lives in its state directory:
dataDir: /var/lib/fenghuo-hub
# Where boxes and the county page reach the hub (put a TLS proxy in front, or see README for https):
listen: 127.0.0.1:8470
# For real use, PostgreSQL:
# store:
#   postgres: postgres://fenghuo@/fenghuo_hub
HUB
  install_file "$work/hub.yaml" /etc/fenghuo/hub.yaml 640
fi

# ---- what needs a real system ----
if [ "$real" = yes ]; then
  systemd-sysusers
  systemd-tmpfiles --create /usr/lib/tmpfiles.d/fenghuo.conf
  # The configuration holds token hashes: readable by root and the fenghuo group only.
  chgrp fenghuo /etc/fenghuo/fenghuo.yaml
  if [ -e /etc/fenghuo/hub.yaml ]; then chgrp fenghuo-hub /etc/fenghuo/hub.yaml; fi
  udevadm control --reload
  udevadm trigger --subsystem-match=tty --action=add
  systemctl daemon-reload
  enable=fenghuo.service
  if [ "$hub" = yes ]; then enable="$enable fenghuo-hub.service"; fi
  for u in $enable; do systemctl is-enabled --quiet "$u" || { systemctl enable "$u"; changed "enabled $u"; }; done
  if [ "$start" = yes ]; then
    if [ "$changes" -gt 0 ]; then
      systemctl restart $enable
      echo "restarted: $enable (systemctl status fenghuo; journalctl -u fenghuo -f)"
    else
      for u in $enable; do systemctl is-active --quiet "$u" || systemctl start "$u"; done
    fi
  fi
else
  skipped "systemd-sysusers (creates the users fenghuo, fenghuo-hub)"
  skipped "systemd-tmpfiles --create; chgrp fenghuo /etc/fenghuo/*.yaml"
  skipped "udevadm control --reload; udevadm trigger"
  skipped "systemctl daemon-reload; systemctl enable --now fenghuo.service"
fi

if [ "$changes" -eq 0 ]; then echo "nothing changed"; else echo "$changes changes"; fi
