#!/bin/sh
# Builds fenghuo_VERSION_ARCH.deb (dpkg-deb --build) and fenghuo-VERSION-ARCH.tar.gz (a release tarball for
# install.sh --from-tarball) from this checkout (npm install done), with the same files install.sh installs.
#   systemd/build-deb.sh [OUTDIR]     (default: the current directory)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:-.}" && pwd)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sh "$here/install.sh" --destdir "$work/root" --bindir /usr/bin --hub --no-apt >/dev/null
# The technician's files are made by postinst from the example, never shipped as package files.
rm -f "$work/root/etc/fenghuo/fenghuo.yaml" "$work/root/etc/fenghuo/hub.yaml"
rmdir "$work/root/etc/fenghuo" "$work/root/etc" 2>/dev/null || true
release=$(readlink "$work/root/opt/fenghuo/current")
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$work/root/opt/fenghuo/$release/package.json" | head -n 1)
tar -C "$work/root/opt/fenghuo/$release/.." -czf "$out/fenghuo-$version-$arch.tar.gz" --transform "s#^$(basename "$release")#fenghuo#" "$(basename "$release")"
mkdir -p "$work/root/DEBIAN"
cat >"$work/root/DEBIAN/control" <<CONTROL
Package: fenghuo
Version: $version
Architecture: $arch
Maintainer: fenghuo maintainers
Depends: systemd, udev, nodejs (>= 20), ffmpeg, espeak-ng, alsa-utils
Recommends: sqlite3
Section: misc
Priority: optional
Description: township flood-warning box (fenghuo 烽火)
 Polls water-level sensors over Modbus, stores readings in SQLite, raises flood alarms and relays them to
 loudspeakers, sirens and LED boards; syncs with the county hub. Runs as fenghuo.service.
CONTROL
cat >"$work/root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  systemd-sysusers
  if getent group gpio >/dev/null; then echo 'm fenghuo gpio' >/usr/lib/sysusers.d/fenghuo-gpio.conf; systemd-sysusers; fi
  systemd-tmpfiles --create /usr/lib/tmpfiles.d/fenghuo.conf
  if [ ! -e /etc/fenghuo/fenghuo.yaml ]; then
    cp /opt/fenghuo/current/config/example.yaml /etc/fenghuo/fenghuo.yaml
    chgrp fenghuo /etc/fenghuo/fenghuo.yaml; chmod 640 /etc/fenghuo/fenghuo.yaml
  fi
  udevadm control --reload || true
  udevadm trigger --subsystem-match=tty --action=add || true
  systemctl daemon-reload || true
  systemctl enable fenghuo.service || true
  systemctl restart fenghuo.service || true
fi
POSTINST
cat >"$work/root/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ "$1" = remove ]; then systemctl disable --now fenghuo.service fenghuo-hub.service || true; fi
PRERM
cat >"$work/root/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
rm -f /usr/lib/sysusers.d/fenghuo-gpio.conf
systemctl daemon-reload || true
if [ "$1" = purge ]; then rm -rf /etc/fenghuo /var/lib/fenghuo /var/lib/fenghuo-hub; fi
POSTRM
chmod 755 "$work/root/DEBIAN/postinst" "$work/root/DEBIAN/prerm" "$work/root/DEBIAN/postrm"
fakeroot dpkg-deb --build --root-owner-group "$work/root" "$out/fenghuo_${version}_$arch.deb" >/dev/null 2>&1 || dpkg-deb --build --root-owner-group "$work/root" "$out/fenghuo_${version}_$arch.deb" >/dev/null
echo "$out/fenghuo_${version}_$arch.deb"
echo "$out/fenghuo-$version-$arch.tar.gz"
