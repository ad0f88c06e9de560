#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fails when verge-hv's ELF holds an instruction that reads or writes
# FP/SIMD, SVE or SME state: the guest owns that state outright (each
# vCPU is pinned, EL2 never saves it), so EL2 must never touch it.
# Usage: check-hv-fpsimd.sh OBJDUMP ELF
#
# Allowed: Debian's libfdt (fdt_*), which is not built
# general-registers-only and moves DT header words and the guest's
# memory ranges through v0/v1 on CPU 0 before any guest runs; what it
# leaves there is in the guest's DT anyway. RDVL/RDSVL (cpufeat.c) only
# write a general register and are not matched.
set -eu
objdump=$1
elf=$2
bad=$("$objdump" -d --no-show-raw-insn "$elf" | awk -F'\t' '
	/^[0-9a-f]+ <.*>:$/ { fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn); next }
	NF >= 3 {
		op = $2; args = $3
		sub(/\/\/.*/, "", args); sub(/<.*/, "", args)
		if (fn ~ /^fdt_/)
			next
		if (args ~ /(^|[ ,{\[])([vqdshbz][0-9]+|p[0-9]+|za[0-9]*|zt0)([.,\] \/]|$)/ ||
		    args ~ /(^|[ ,])(fpcr|fpsr|fpmr|ffr|svcr|zcr_el1|smcr_el1|tpidr2_el0)([ ,]|$)/ ||
		    op ~ /^(f[a-z0-9]+|ld[1-4][a-z]*|st[1-4][a-z]*|smstart|smstop|setffr|wrffr|rdffr)$/)
			printf "%s: %s %s\n", fn, op, args
	}')
if [ -n "$bad" ]; then
	echo "$elf: EL2 code touches FP/SIMD/SVE/SME state:" >&2
	echo "$bad" | head -20 >&2
	exit 1
fi
