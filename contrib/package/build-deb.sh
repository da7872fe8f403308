#!/usr/bin/env bash
# Builds the Debian package timmyd_<version>-<revision>_<arch>.deb from the release
# build with the Swift runtime linked in (--static-swift-stdlib), so the server
# needs no Swift toolchain. contrib/test.sh makes that build first; here it is
# then a no-op.
#
#   contrib/package/build-deb.sh [OUTPUT_DIR]     (default .build/package)
#
# Version: Sources/Protocol/TimmyVersion.swift, Debian revision TIMMY_DEB_REVISION
# (default 1). Architecture: dpkg --print-architecture. Depends: computed by
# dpkg-shlibdeps from the binaries (the Debian packages of the system libraries
# they link), plus systemd for sysusers, tmpfiles and the unit.
# Prints the package's path on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
deb_files=$repo/contrib/package/deb
out=${1:-.build/package}
mkdir -p "$out"
out=$(cd "$out" && pwd)

log() { printf 'build-deb: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in dpkg-deb dpkg-shlibdeps ldd strip gzip git; do
    command -v "$tool" >/dev/null || die "$tool is missing (contrib/setup-debian.sh installs it)"
done

upstream=$(sed -n 's/^ *public static let string = "\([^"]*\)".*/\1/p' Sources/Protocol/TimmyVersion.swift)
[[ $upstream =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "no version like 1.2.3 in Sources/Protocol/TimmyVersion.swift (found '$upstream')"
revision=${TIMMY_DEB_REVISION:-1}
[[ $revision =~ ^[0-9A-Za-z.+~]+$ ]] || die "TIMMY_DEB_REVISION '$revision' is not a Debian revision"
version=$upstream-$revision
arch=$(dpkg --print-architecture)
maintainer=${TIMMY_DEB_MAINTAINER:-timmyd maintainers <timmyd@example.org>}
# Every date and mtime in the package is the last commit's: the same tree gives the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}

# --- The binaries ---------------------------------------------------------------
swift build -c release --static-swift-stdlib >&2
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
for program in timmyd timmyctl; do
    [[ -x $bin/$program ]] || die "$bin/$program was not built"
    # The point of the static build: nothing from a Swift toolchain at run time.
    if ldd "$bin/$program" | grep -q 'libswift\|libFoundation\|libdispatch\|libBlocksRuntime'; then
        ldd "$bin/$program" >&2
        die "$program still needs Swift runtime libraries (built without --static-swift-stdlib?)"
    fi
done

# --- Man pages, from the command definitions ------------------------------------
# swift-argument-parser's GenerateManual plugin builds the package's products and
# runs its generate-manual tool on each (which reads the tool's
# --experimental-dump-help). Debug: CI has just built debug (with tests), so the
# plugin's build is a no-op; its release build (no --static-swift-stdlib) would
# rebuild the binaries above, dynamically linked to libswift*, and the next static
# build would rebuild them again (about 100 s each here). The pages come from the
# same command definitions either way.
manual_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
swift package plugin generate-manual --configuration debug --date "$manual_date" >&2
manual_dir=.build/plugins/GenerateManual/outputs
for program in timmyd timmyctl; do
    [[ -s $manual_dir/$program/$program.1 ]] || die "the manual plugin made no $manual_dir/$program/$program.1"
done

# --- The tree ---------------------------------------------------------------------
stage=$out/root
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"

install -D -m 0755 "$bin/timmyd" "$stage/usr/bin/timmyd"
install -D -m 0755 "$bin/timmyctl" "$stage/usr/bin/timmyctl"
# As dh_strip does for executables: symbols and notes off, the Swift metadata sections stay.
strip --remove-section=.comment --remove-section=.note "$stage/usr/bin/timmyd" "$stage/usr/bin/timmyctl"

# The units, with the package's paths; the header about installing by hand is dropped.
mkdir -p "$stage/lib/systemd/system"
for unit in contrib/systemd/*.service contrib/systemd/*.socket; do
    [[ -e $unit ]] || continue
    name=$(basename "$unit")
    {
        echo "# Installed by the timmyd package. Change it with \`systemctl edit $name\`."
        sed -n '/^\[Unit\]/,$p' "$unit" | sed 's#/usr/local/bin/#/usr/bin/#g'
    } >"$stage/lib/systemd/system/$name"
    chmod 0644 "$stage/lib/systemd/system/$name"
done
grep -q '^ExecStart=/usr/bin/timmyd ' "$stage/lib/systemd/system/timmyd.service" ||
    die "timmyd.service does not start /usr/bin/timmyd"

install -D -m 0644 contrib/systemd/timmyd.sysusers "$stage/usr/lib/sysusers.d/timmyd.conf"
install -D -m 0644 "$deb_files/tmpfiles.conf" "$stage/usr/lib/tmpfiles.d/timmyd.conf"
# 0600: timmyd refuses inline secrets in an env file group or others can read.
install -D -m 0600 etc/timmyd.env "$stage/etc/timmyd/timmyd.env"

install -d -m 0755 "$stage/usr/share/man/man1"
for program in timmyd timmyctl; do
    gzip -9n <"$manual_dir/$program/$program.1" >"$stage/usr/share/man/man1/$program.1.gz"
done

# Completions where Debian's bash-completion, zsh and fish look for them.
# bash-completion sources the file: a #! line would only mislead (lintian warns).
"$bin/timmyctl" --generate-completion-script bash | sed '1{/^#!/d}' | install -D -m 0644 /dev/stdin \
    "$stage/usr/share/bash-completion/completions/timmyctl"
"$bin/timmyctl" --generate-completion-script zsh | install -D -m 0644 /dev/stdin \
    "$stage/usr/share/zsh/vendor-completions/_timmyctl"
"$bin/timmyctl" --generate-completion-script fish | install -D -m 0644 /dev/stdin \
    "$stage/usr/share/fish/vendor_completions.d/timmyctl.fish"

doc=$stage/usr/share/doc/timmyd
mkdir -p "$doc"
sed "s|@YEAR@|$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)|" "$deb_files/copyright" >"$doc/copyright"
chmod 0644 "$doc/copyright"
install -m 0644 README.md "$doc/README.md"
install -m 0644 etc/credentials/README.md "$doc/credentials.md"
{
    printf 'timmyd (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * timmyd %s, built from commit %s.\n\n' "$upstream" "$(git rev-parse --short=12 HEAD)"
    printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"
install -D -m 0644 "$deb_files/lintian-overrides" "$stage/usr/share/lintian/overrides/timmyd"

# --- Control files ----------------------------------------------------------------
for script in postinst prerm postrm; do
    install -m 0755 "$deb_files/$script" "$stage/DEBIAN/$script"
done
printf '/etc/timmyd/timmyd.env\n' >"$stage/DEBIAN/conffiles"
chmod 0644 "$stage/DEBIAN/conffiles"

# The Debian packages that provide the libraries the binaries link, with the
# versions their symbols need. dpkg-shlibdeps wants a debian/control to read.
shlib_work=$(mktemp -d)
trap 'rm -rf "$shlib_work"' EXIT
mkdir "$shlib_work/debian"
printf 'Source: timmyd\n\nPackage: timmyd\nArchitecture: any\n' >"$shlib_work/debian/control"
shlibs=$(cd "$shlib_work" && dpkg-shlibdeps -O "$stage/usr/bin/timmyd" "$stage/usr/bin/timmyctl")
shlibs=${shlibs#shlibs:Depends=}
for library in libsqlite3-0 libcurl4 libssl3 libjansson4 libqrencode4; do
    [[ $shlibs == *"$library"* ]] || die "Depends lacks $library: $shlibs"
done
# systemd: systemd-sysusers and systemd-tmpfiles in postinst; the unit.
depends="$shlibs, systemd"

installed_size=$(du -s -k --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" \
    "$deb_files/control.in" >"$stage/DEBIAN/control"
chmod 0644 "$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

package=$out/timmyd_${version}_${arch}.deb
rm -f "$package"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$package" >&2
log "$(du -h --apparent-size "$package" | cut -f1) $package"
log "Depends: $depends"
echo "$package"
