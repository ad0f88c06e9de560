/* SPDX-License-Identifier: Apache-2.0 */
/* The VMware-style backdoor, one C API on aarch64 and x86_64.
 *
 * The wire ABI (open-vm-tools lib/include/backdoor_def.h,
 * guest_msg_def.h; Linux drivers/gpu/drm/vmwgfx/vmwgfx_msg_arm64.h) is
 * proto/inc/verge_backdoor.h; see docs/guest-agent.md. On x86_64 a call is `in`, `rep outsb` or
 * `rep insb` on the backdoor ports; on aarch64 the guest puts the x86
 * registers in x0-x6 (eax, ebx, ecx, edx, esi, edi, ebp), names the x86
 * instruction in x7 and executes `mrs xzr, mdccsr_el0`, which the
 * hypervisor traps.
 *
 * Without a hypervisor the x86 instructions fault (SIGSEGV) and the arm64
 * one may either fault (SIGILL) or do nothing at all (QEMU without verge
 * reads 0 and leaves x0-x6 untouched). The fault is caught here; the
 * "nothing happened" case is why a caller must first probe with
 * bd_probe(), which checks that the reply carries the magic. */
#ifndef VGA_BACKDOOR_H
#define VGA_BACKDOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <verge_backdoor.h>

struct bd_regs {
	uint64_t ax, bx, cx, dx, si, di, bp;
};

/* The three instructions. Each sets ax to the magic and dx[15:0] to the
 * port itself. 0 when the instruction completed, -EFAULT when it raised
 * SIGILL/SIGSEGV/SIGBUS (no backdoor there; *r is then unspecified). */
int bd_in(struct bd_regs *r);		/* in eax, dx on BDOOR_PORT */
int bd_hb_out(struct bd_regs *r);	/* rep outsb on BDOORHB_PORT */
int bd_hb_in(struct bd_regs *r);	/* rep insb on BDOORHB_PORT */

struct bd_version {
	uint32_t version;	/* eax */
	uint32_t product;	/* ecx: the product type */
};

/* GETVERSION; 0 when answered with the magic in ebx, -ENODEV when the
 * instruction completed but nobody answered, -EFAULT when it faulted. */
int bd_probe(struct bd_version *ret);
/* The cached outcome of the first bd_probe() (probing if none yet). */
bool bd_present(void);

struct bd_time {
	uint64_t sec;		/* host UNIX time */
	uint32_t usec;
	uint32_t max_lag_us;	/* ecx */
};

/* GETTIMEFULL: 0, -ENODEV (no backdoor), -EAGAIN (the host has not
 * anchored its time yet), -EPROTO (a malformed answer). */
int bd_gettime(struct bd_time *ret);

/* GETUUID: the VM's 16-byte UUID (byte 0 in eax[7:0] ... byte 15 in
 * edx[31:24]). 0, or -ENODEV. An all-zero UUID means the host set none. */
int bd_getuuid(uint8_t ret[16]);
/* The UUID as the usual 36-character text (cap >= 37). */
void bd_uuid_str(const uint8_t uuid[16], char *buf, size_t cap);

/* The architecture part (backdoor_<arch>.c): the raw instruction with
 * x7/port set from the flags; no fault guard. */
void bd_arch_call(struct bd_regs *r, uint32_t x7);

#endif
