# Shared code of the kernel-matrix lane (scripts/vm/run, scripts/vm/build-initramfs):
# reading kernels.conf, fetching Debian kernel packages, building the initramfs.
# Everything lands in $VIGIL_VM_CACHE (default $VIGIL_CACHE/vm) and is rebuilt only when its
# inputs change.
# shellcheck shell=bash
# shellcheck disable=SC2034 # KIMAGE, VM_NM_IMAGE, VM_EXTRA... are read by the scripts sourcing this

source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

VM_DIR=$VIGIL_ROOT/scripts/vm
VM_CONF=${VIGIL_VM_CONF:-$VM_DIR/kernels.conf}
VM_CACHE=${VIGIL_VM_CACHE:-$VIGIL_CACHE/vm}

# The VM's userland is the host's own: /usr and /etc are shared read-only over 9p (see
# vm_host_shares), so node, npm, coreutils, util-linux, libbpf and every native addon's libraries
# are the very files the host kernel lane uses, at the same paths (tests compare binary paths
# such as /usr/bin/sleep). The initramfs only holds /init, a static busybox for /init itself
# (out of PATH for the command), and the kernel's modules needed to reach the 9p shares.

# Kernel modules loaded by /init, with the modules they depend on; built-in ones are skipped
# (virtio_pci is a module on 6.1 and built in on 6.12). 9p for the shared folders, virtio_blk
# and ext4 for the node_modules image (vm_build_nm_image), virtio_rng for early entropy.
# crc32c_generic: ext4 asks the crypto API for crc32c at every mount, which would load it through
# modprobe — and there is no modprobe in the VM (the host has no kmod either).
VM_MODULES=(virtio_pci virtio_rng 9pnet_virtio 9p virtio_blk crc32c_generic ext4)

# Two runs at once (a developer and CI on one machine) must not build the same cache files
# together: preparation holds an exclusive lock on $VM_CACHE/.lock (fd 9); booting does not.
vm_lock() {
  mkdir -p "$VM_CACHE" 2>/dev/null && [ -w "$VM_CACHE" ] ||
    die vm "cannot write the VM cache $VM_CACHE (running as $(id -un))" "run as root (sudo scripts/vm/run ...) or point VIGIL_CACHE at a writable folder"
  exec 9>"$VM_CACHE/.lock"
  if ! flock -n 9; then
    info "another scripts/vm run is preparing $VM_CACHE: waiting for it"
    flock 9
  fi
}
vm_unlock() { flock -u 9 2>/dev/null; exec 9>&-; }

# ---------------------------------------------------------------------------------------------
# kernels.conf

declare -a VM_NAMES=()
declare -A VM_PATTERN=() VM_EXTRA=()

vm_load_conf() {
  [ -r "$VM_CONF" ] || die vm "cannot read $VM_CONF" "restore scripts/vm/kernels.conf (git checkout scripts/vm/kernels.conf)"
  local line name pattern extra n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%%#*}
    read -r name pattern extra <<<"$line"
    [ -n "$name" ] || continue
    [ -n "$pattern" ] || die vm "$VM_CONF:$n: kernel '$name' has no package pattern" "write 'NAME PACKAGE-PATTERN' (see the comment at the top of the file)"
    [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die vm "$VM_CONF:$n: kernel name '$name' has characters other than letters, digits, . _ -" "rename it"
    [ -z "${VM_PATTERN[$name]+x}" ] || die vm "$VM_CONF:$n: kernel '$name' is listed twice" "remove one of the lines"
    VM_NAMES+=("$name")
    VM_PATTERN[$name]=$pattern
    VM_EXTRA[$name]=$extra
  done <"$VM_CONF"
  [ ${#VM_NAMES[@]} -gt 0 ] || die vm "$VM_CONF lists no kernel" "add a line such as '6.1 linux-image-6.1.0-*-amd64'"
}

# ---------------------------------------------------------------------------------------------
# Kernel packages

# PATTERN -> an anchored extended regex; `*` is one version field (no dash), so
# linux-image-6.1.0-*-amd64 matches ...-56-amd64 but not ...-56-cloud-amd64 or ...-rt-amd64.
vm_pattern_regex() {
  local re
  re=$(sed -e 's/[].[^$+?(){}|\\]/\\&/g' -e 's/\*/[^-]*/g' <<<"$1")
  printf '^%s$' "$re"
}

# Every "package version" pair in the apt lists whose name matches one of the kernels' patterns.
# apt-cache takes over a second per call here (the machine's apt config disables apt's binary
# cache), so all patterns go in one call, and its answer is kept until the apt lists change.
declare -A VM_PKG=() VM_VER=()
vm_apt_candidates() { # REGEX...
  local joined fp cache=$VM_CACHE/apt-candidates
  joined=$(IFS='|' && echo "$*")
  fp=$({ echo "$joined"; stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null; } | sha256sum | cut -d' ' -f1)
  if [ "$(head -n 1 "$cache" 2>/dev/null)" != "$fp" ]; then
    mkdir -p "$VM_CACHE"
    { echo "$fp"; apt-cache search --names-only --full "$joined" 2>/dev/null |
      awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }'; } >"$cache.tmp" && mv "$cache.tmp" "$cache"
  fi
  tail -n +2 "$cache"
}

# vm_resolve NAME...: the newest package (VM_PKG) and version (VM_VER) for each VM kernel, or
# empty when the apt lists have none. One `apt-get update` (as root) when something is missing.
vm_resolve() {
  local name re all missing=0
  local -a res=()
  for name in "$@"; do [ "${VM_PATTERN[$name]}" = - ] || res+=("$(vm_pattern_regex "${VM_PATTERN[$name]}")"); done
  [ ${#res[@]} -gt 0 ] || return 0
  all=$(vm_apt_candidates "${res[@]}")
  for name in "$@"; do
    [ "${VM_PATTERN[$name]}" = - ] && continue
    re=$(vm_pattern_regex "${VM_PATTERN[$name]}")
    # Newest package name first (6.1.0-56 after 6.1.0-9), then its newest version.
    read -r "VM_PKG[$name]" "VM_VER[$name]" < <(grep -E "${re%\$} " <<<"$all" | sort -V -k1,1 -k2,2 | tail -n 1) || true
    [ -n "${VM_PKG[$name]}" ] || missing=1
  done
  if [ $missing = 1 ] && [ $VM_APT_UPDATED = 0 ] && [ "$(id -u)" = 0 ]; then
    # A fresh machine may have no or old apt lists: one update, then ask again.
    info "a kernel package is not in the apt lists: apt-get update"
    apt-get update -qq >/dev/null 2>&1 || true
    VM_APT_UPDATED=1
    vm_resolve "$@"
  fi
}

VM_APT_UPDATED=0

# vm_vmlinux VMLINUZ OUT: the uncompressed kernel (an ELF with a PVH entry note) out of a bzImage.
# QEMU boots such an ELF directly; under TCG this skips ~6 s of the bzImage decompressing itself
# (xz on 6.1, zstd on 6.12) at every boot. Same idea as the kernel's scripts/extract-vmlinux.
vm_vmlinux() {
  local vmlinuz=$1 out=$2 pair tool magic off
  for pair in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08' 'lz4:\x02\x21\x4c\x18'; do
    tool=${pair%%:*} magic=${pair#*:}
    command -v "$tool" >/dev/null || continue
    for off in $(LC_ALL=C grep -aboP "$magic" "$vmlinuz" | cut -d: -f1); do
      # Trailing data after the compressed stream makes the tools complain: the ELF check decides.
      tail -c +$((off + 1)) "$vmlinuz" | "$tool" -dc 2>/dev/null >"$out.tmp"
      if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        mv "$out.tmp" "$out"
        return 0
      fi
    done
  done
  rm -f "$out.tmp"
  return 1
}

# vm_prepare_kernel NAME (after vm_resolve): make sure the kernel package is unpacked in the cache.
# Sets KDIR (the unpacked package), KPKG, KVER, KREL (uname -r), KIMAGE (the kernel to boot).
vm_prepare_kernel() {
  local name=$1 pattern=${VM_PATTERN[$1]} re pkg=${VM_PKG[$1]:-} ver=${VM_VER[$1]:-} dir
  re=$(vm_pattern_regex "$pattern")
  if [ -n "$pkg" ]; then
    dir=$VM_CACHE/kernels/${pkg}_${ver//:/%3a}
  else
    # Offline or apt lists gone: the newest cached package that matches will do.
    dir=$(find "$VM_CACHE/kernels" -mindepth 1 -maxdepth 1 -type d -name '*_*' 2>/dev/null |
      while read -r d; do b=${d##*/} && grep -qE "$re" <<<"${b%%_*}" && [ -f "$d/.complete" ] && echo "$d"; done | sort -V | tail -n 1)
    if [ -z "$dir" ]; then
      if [ "$(id -u)" != 0 ]; then
        die vm "no package matching '$pattern' (kernel $name) in the apt lists, and none cached" "run 'apt-get update' as root (the lists may be missing or old), or fix the pattern in scripts/vm/kernels.conf"
      fi
      die vm "no Debian package matches '$pattern' (kernel $name)" "check it with: apt-cache search --names-only '$re' — 6.12 needs bookworm-security in the apt sources; fix the line in scripts/vm/kernels.conf"
    fi
    pkg=${dir##*/} && ver=${pkg#*_} && pkg=${pkg%%_*}
    info "kernel $name: $pkg is not in the apt lists, using the cached copy"
  fi

  if [ ! -f "$dir/.complete" ]; then
    step "kernel $name: fetching $pkg $ver"
    mkdir -p "$VM_CACHE/debs" "$VM_CACHE/kernels"
    rm -rf "$dir.tmp" "$VM_CACHE"/debs/"${pkg}"_*.deb
    # APT::Sandbox::User=root: the cache folder need not be readable by user _apt.
    (cd "$VM_CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >"$VM_CACHE/debs/apt.log" 2>&1) || {
      tail -n 5 "$VM_CACHE/debs/apt.log" >&2
      die vm "apt-get download $pkg=$ver failed (kernel $name)" "check network access to the Debian mirror in the apt sources; 'apt-get update' if the version is gone"
    }
    dpkg-deb -x "$VM_CACHE"/debs/"${pkg}"_*.deb "$dir.tmp" || die vm "dpkg-deb -x of $pkg failed" "delete $VM_CACHE/debs and rerun (the download may be truncated)"
    rm -f "$VM_CACHE"/debs/"${pkg}"_*.deb
    touch "$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
    # Older versions of the same kernel line only take disk space now.
    local old b
    for old in "$VM_CACHE"/kernels/*_*; do
      b=${old##*/}
      [ "$old" != "$dir" ] && [ -d "$old" ] && grep -qE "$re" <<<"${b%%_*}" && rm -rf "$old" && info "removed the older $b"
    done
    ok "kernel $name: $pkg $ver in $dir"
  fi
  KDIR=$dir KPKG=$pkg KVER=$ver
  KVMLINUZ=$(find "$dir/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
  [ -n "$KVMLINUZ" ] || die vm "$pkg has no boot/vmlinuz-*" "pick a linux-image-* package (not -dbg or a meta package) in scripts/vm/kernels.conf"
  KREL=${KVMLINUZ##*/vmlinuz-} KIMAGE=$KVMLINUZ
  # Boot the uncompressed ELF when the kernel can be entered that way (CONFIG_PVH), else the bzImage.
  if grep -qx 'CONFIG_PVH=y' "$dir/boot/config-$KREL" 2>/dev/null; then
    [ -f "$dir/vmlinux" ] || vm_vmlinux "$KVMLINUZ" "$dir/vmlinux" || info "kernel $name: could not extract vmlinux from $KVMLINUZ; booting the compressed image (slower)"
    [ -f "$dir/vmlinux" ] && KIMAGE=$dir/vmlinux
  fi
}

# ---------------------------------------------------------------------------------------------
# Initramfs: a kernel-independent base archive (busybox, /init) and a small per-kernel archive
# (its modules); the kernel unpacks concatenated cpio archives in order.

# stamp_ok FILE FINGERPRINT: true when FILE exists and was built from FINGERPRINT.
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1.inputs" 2>/dev/null)" = "$2" ]; }

# The host folders the VM mounts read-only over 9p, at the same paths: /usr and /etc (ld.so.cache,
# /etc/alternatives links, passwd), plus /bin, /sbin, /lib, /lib64 where they are real folders
# (on merged-/usr systems they are links into /usr, recreated in the image instead).
vm_host_shares() {
  echo /usr
  echo /etc
  local d
  for d in /bin /sbin /lib /lib64; do [ -d "$d" ] && [ ! -L "$d" ] && echo "$d"; done
  return 0
}

# vm_build_base: sets VM_BASE to the base archive, rebuilt when an input changed.
vm_build_base() {
  local busybox
  busybox=$(command -v busybox || true)
  [ -n "$busybox" ] || die vm "busybox is not installed" "apt-get install busybox-static (scripts/setup installs it)"
  # /init runs before any host library is reachable: busybox must not need one.
  if ldd "$busybox" >/dev/null 2>&1; then
    die vm "$busybox is dynamically linked, /init needs a static one" "apt-get install busybox-static (it replaces the busybox package)"
  fi
  local fp
  fp=$({ sha256sum "$VM_DIR/lib.sh" "$VM_DIR/init"; stat -L -c '%n %s %Y' "$busybox"; } | sha256sum | cut -d' ' -f1)
  VM_BASE=$VM_CACHE/base.cpio
  stamp_ok "$VM_BASE" "$fp" && return 0

  local img=$VM_CACHE/base.tmp d applet
  rm -rf "$img" && mkdir -p "$img"/{vigil/bin,proc,sys,dev,tmp,run,root,var,mnt}
  # Same top-level links as the host (merged /usr): ELF interpreters (/lib64/ld-linux...) and
  # shebangs (#!/bin/sh) resolve into the shared /usr.
  for d in bin sbin lib lib64; do
    [ -L "/$d" ] && ln -s "$(readlink "/$d")" "$img/$d"
  done
  cp -L "$busybox" "$img/vigil/bin/busybox"
  for applet in $("$busybox" --list); do [ "$applet" = busybox ] || ln -s busybox "$img/vigil/bin/$applet"; done
  install -m 755 "$VM_DIR/init" "$img/init"
  (cd "$img" && find . -mindepth 1 | sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) >"$VM_BASE.tmp" ||
    die vm "building the base initramfs failed" "delete $VM_CACHE and rerun"
  mv "$VM_BASE.tmp" "$VM_BASE"
  echo "$fp" >"$VM_BASE.inputs"
  rm -rf "$img"
  info "built the VM's base initramfs ($(du -k "$VM_BASE" | cut -f1) KB): $VM_BASE"
}

# The modules of KDIR/KREL to load, dependencies first, as paths relative to /lib/modules/KREL.
# Debian's packages carry no modules.dep (depmod runs at install time, and busybox depmod over
# every module of a package takes 20 s), so the "depends=" field of each needed module's
# .modinfo is read directly: only a handful of files are opened.
vm_module_order() {
  local moddir=$KDIR/lib/modules/$KREL
  [ -d "$moddir/kernel" ] || die vm "$KPKG has no lib/modules/$KREL/kernel" "pick a linux-image-* package with modules in scripts/vm/kernels.conf"
  local -A path_of=() builtin=() seen=()
  local p n
  while IFS= read -r p; do
    n=${p##*/} && n=${n%%.ko*} && n=${n//-/_}
    path_of[$n]=$p
  done < <(cd "$moddir" && find kernel -name '*.ko' -o -name '*.ko.*')
  if [ -f "$moddir/modules.builtin" ]; then
    while IFS= read -r p; do n=${p##*/} && n=${n%%.ko*} && builtin[${n//-/_}]=1; done <"$moddir/modules.builtin"
  fi
  visit() { # NAME: print the module's dependencies (depth first), then the module
    local n=${1//-/_} p d
    [ -n "${seen[$n]:-}" ] && return 0
    seen[$n]=1
    p=${path_of[$n]:-}
    if [ -z "$p" ]; then
      [ -n "${builtin[$n]:-}" ] && return 0
      die vm "kernel $KREL has module $1 neither as a module nor built in" "pick another kernel package in scripts/vm/kernels.conf, or drop $1 from VM_MODULES in scripts/vm/lib.sh"
    fi
    for d in $(vm_unpack_module "$moddir/$p" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
      visit "$d"
    done
    echo "$p"
  }
  local m
  for m in "${VM_MODULES[@]}"; do visit "$m"; done
}

# vm_unpack_module FILE: the module's ELF on stdout (6.12 ships .ko.xz; busybox insmod wants .ko).
vm_unpack_module() {
  case "$1" in
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -qdc "$1" ;;
    *.ko.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
  esac
}

# vm_build_initrd NAME: sets VM_INITRD to base + this kernel's modules, rebuilt when either changed.
vm_build_initrd() {
  local name=$1
  vm_build_base
  local fp
  # The module list follows from the package and VM_MODULES (lib.sh is part of the base inputs).
  fp=$(printf '%s\n' "$(cat "$VM_BASE.inputs")" "$KPKG $KVER" "${VM_MODULES[*]}" | sha256sum | cut -d' ' -f1)
  VM_INITRD=$KDIR/initrd.img
  stamp_ok "$VM_INITRD" "$fp" && return 0

  local mods img=$KDIR/initrd.tmp m dst
  mods=$(vm_module_order) || exit 1
  # Under /vigil: /lib of the image is a link into /usr, which the host's /usr covers.
  rm -rf "$img" && mkdir -p "$img/vigil"
  : >"$img/vigil/modules.list"
  for m in $mods; do
    dst=vigil/modules/${m%%.ko*}.ko
    mkdir -p "$img/$(dirname "$dst")"
    vm_unpack_module "$KDIR/lib/modules/$KREL/$m" >"$img/$dst" ||
      die vm "cannot unpack module $m of $KPKG" "install xz-utils and zstd, then rerun"
    echo "/$dst" >>"$img/vigil/modules.list"
  done
  (cd "$img" && find . -mindepth 1 | sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) >"$KDIR/modules.cpio" ||
    die vm "building the module archive for $name failed" "delete $KDIR and rerun"
  cat "$VM_BASE" "$KDIR/modules.cpio" >"$VM_INITRD.tmp" && mv "$VM_INITRD.tmp" "$VM_INITRD"
  echo "$fp" >"$VM_INITRD.inputs"
  rm -rf "$img"
  info "kernel $name: initramfs with module(s) $(for m in $mods; do n=${m##*/}; printf '%s ' "${n%%.ko*}"; done)"
}

# ---------------------------------------------------------------------------------------------
# node_modules as a disk image
#
# Node resolves a module by stat-ing candidate paths, most of which do not exist; 9p caches no
# negative lookups, so each miss is a round trip through TCG and QEMU (measured: require of
# @nestjs/core 35-47 s with node_modules over 9p, 14-19 s from an ext4 image, 0.4 s on the
# host; the rest of the repository on ext4 too gained nothing more: CPU emulation is the rest).
# So the VM gets node_modules as an ext4 image on a virtio disk, mounted over the 9p copy at
# the same path. QEMU opens it with snapshot=on: writes inside (vite's cache) land in a
# throw-away overlay and the cached image never changes. Rebuilt when any file's path, size or
# mtime in node_modules changes (a listing of 18k files takes ~0.3 s).

# vm_build_nm_image: sets VM_NM_IMAGE (empty when the repo has no node_modules or
# VIGIL_VM_NODE_MODULES=9p asks for the plain share).
vm_build_nm_image() {
  VM_NM_IMAGE=
  local nm=$VIGIL_ROOT/node_modules
  [ -d "$nm" ] && [ "${VIGIL_VM_NODE_MODULES:-image}" != 9p ] || return 0
  command -v mke2fs >/dev/null || die vm "mke2fs is missing" "apt-get install e2fsprogs, or set VIGIL_VM_NODE_MODULES=9p"
  local fp img=$VM_CACHE/node_modules.ext4
  fp=$(cd "$nm" && find . -printf '%P %s %T@ %l\n' | sha256sum | cut -d' ' -f1)
  VM_NM_IMAGE=$img
  stamp_ok "$img" "$fp" && return 0
  local t0=$SECONDS mb files
  mb=$(du -sm "$nm" | cut -f1)
  files=$(find "$nm" | wc -l)
  mkdir -p "$VM_CACHE"
  rm -f "$img.tmp"
  # Sparse file with room to spare; no journal (nothing to recover: the image is never written).
  truncate -s $((mb * 5 / 4 + 128))M "$img.tmp"
  mke2fs -q -F -t ext4 -O ^has_journal,^metadata_csum -N $((files * 5 / 4 + 4096)) -E root_owner=0:0 -d "$nm" "$img.tmp" ||
    die vm "mke2fs could not build the node_modules image" "free disk space in $VM_CACHE, or set VIGIL_VM_NODE_MODULES=9p"
  mv "$img.tmp" "$img"
  echo "$fp" >"$img.inputs"
  info "node_modules image ($mb MB, $files files) built in $((SECONDS - t0)) s: $img"
}
