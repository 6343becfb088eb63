#!/usr/bin/env bash
# Rebuilds hypervisor.bin: the guest kernel (kernel/*.S) is assembled and
# linked first, into build/kernel.bin, which the hypervisor (hypervisor/*.S)
# then carries in its own image (hypervisor/guest-image.S). Debian's RISC-V
# cross binutils (apt-get install binutils-riscv64-linux-gnu); the image is
# committed, so running the example and its tests needs no cross tools. Both
# programs include routines from examples/riscv/guest/lib/, and assemble and
# link are that folder's toolchain.sh.
#
#   examples/riscv-hypervisor/guest/build.sh        # writes hypervisor.bin
#   CROSS=riscv64-unknown-elf- build.sh             # another toolchain prefix
set -euo pipefail
cd "$(dirname "$0")"
# RV64I + M (print_dec divides) + Zicsr + H (hypervisor CSRs, HLV/HSV,
# HFENCE); no C extension: the emulator decodes 32-bit instructions only.
MARCH=rv64im_zicsr_h
source ../../riscv/guest/lib/toolchain.sh

build() { # build DIR SCRIPT IMAGE: every DIR/*.S, linked with DIR/SCRIPT
  local dir=$1 script=$2 image=$3 src obj objs=()
  for src in "$dir"/*.S; do
    obj="$out/$dir-$(basename "${src%.S}").o"
    assemble "$src" "$obj" "$dir" "$out"
    objs+=("$obj")
  done
  link "$dir/$script" "$image" "${objs[@]}"
}

build kernel kernel.ld "$out/kernel.bin"
build hypervisor hypervisor.ld hypervisor.bin
