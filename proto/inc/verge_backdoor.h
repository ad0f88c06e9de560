/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMware-compatible backdoor ABI, the one definition every verge
 * component uses: the EL2 hypervisor (hypervisor/core), the guest agent
 * (aarch64 and x86_64), the bare-metal test guest, the Linux test
 * programs and the host unit tests. Freestanding: <stdint.h> only.
 *
 * The values are VMware's public ones: open-vm-tools
 * lib/include/backdoor_def.h (magic, ports, commands),
 * lib/include/guest_msg_def.h (MESSAGE types, status bits, flags) and
 * Linux drivers/gpu/drm/vmwgfx/vmwgfx_msg_arm64.h (the aarch64 x7
 * encoding). docs/backdoor.md gives the register conventions.
 */
#ifndef VERGE_BACKDOOR_H
#define VERGE_BACKDOOR_H
#include <stdint.h>

#define BDOOR_MAGIC		0x564D5868u	/* "VMXh", in eax */
#define BDOOR_PORT		0x5658		/* low bandwidth */
#define BDOORHB_PORT		0x5659		/* high bandwidth */

/* Low-bandwidth commands (ecx[15:0]). */
enum bdoor_cmd {
	BDOOR_CMD_GETMHZ = 1,
	BDOOR_CMD_GETVERSION = 10,
	BDOOR_CMD_GETUUID = 19,
	BDOOR_CMD_MESSAGE = 30,
	BDOOR_CMD_GETHZ = 45,
	BDOOR_CMD_GETTIMEFULL = 46,
	BDOOR_CMD_GETTIMEFULL_WITH_LAG = 55,
};

/* High-bandwidth commands (ebx[15:0]). */
#define BDOORHB_CMD_MESSAGE	0

/*
 * aarch64: x7 names the x86 I/O instruction the call stands for. Bits
 * [47:32] hold 0x86 (X86_IO_MAGIC); the low bits describe the access.
 */
#define BD_X7_MAGIC		0x86u
#define BD_X7_MAGIC_SHIFT	32
#define BD_X7_SIZE_MASK		0x3u		/* 0: 1 byte, 1: 2, 2: 4 */
#define BD_X7_SIZE4		0x2u
#define BD_X7_IN		(1u << 2)	/* IN / INS (else OUT / OUTS) */
#define BD_X7_DX		(1u << 3)	/* port in DX (else immediate) */
#define BD_X7_STR		(1u << 4)	/* string instruction (REP) */
#define BD_X7_DF		(1u << 5)	/* direction flag, strings only */
#define BD_X7_IMM_SHIFT		5		/* imm8 port, non-string only */

/* The three instructions of the backdoor, as x7 low bits. */
#define BD_X7_LB_IN	(BD_X7_DX | BD_X7_IN | BD_X7_SIZE4) /* in eax, dx */
#define BD_X7_HB_OUT	(BD_X7_STR | BD_X7_DX)		    /* rep outsb */
#define BD_X7_HB_IN	(BD_X7_HB_OUT | BD_X7_IN)	    /* rep insb */
/* A whole x7: the magic and the instruction bits. */
#define BD_X7(insn) \
	((uint64_t)BD_X7_MAGIC << BD_X7_MAGIC_SHIFT | (uint64_t)(insn))

/* MESSAGE steps (ecx[31:16] of BDOOR_CMD_MESSAGE). */
enum msg_type {
	MSG_OPEN,
	MSG_SENDSIZE,
	MSG_SENDPAYLOAD,
	MSG_RECVSIZE,
	MSG_RECVPAYLOAD,
	MSG_RECVSTATUS,
	MSG_CLOSE,
	MSG_NTYPES,
};

/* MESSAGE status bits (ecx[31:16], ebx[31:16] for high bandwidth). */
#define MSG_STATUS_SUCCESS	0x0001
#define MSG_STATUS_DORECV	0x0002
#define MSG_STATUS_CLOSED	0x0004
#define MSG_STATUS_UNSENT	0x0008
#define MSG_STATUS_CPT		0x0010	/* checkpoint: retry the operation */
#define MSG_STATUS_POWEROFF	0x0020
#define MSG_STATUS_TIMEOUT	0x0040
#define MSG_STATUS_HB		0x0080	/* high bandwidth offered */

/* MSG_OPEN's ebx: the protocol, with the flags. */
#define RPCI_PROTOCOL		0x49435052u	/* "RPCI": guest -> host */
#define TCLO_PROTOCOL		0x4f4c4354u	/* "TCLO": host -> guest */
#define GUESTMSG_FLAG_COOKIE	0x80000000u

#ifdef __aarch64__
/*
 * The guest side of one call, for every aarch64 guest program (the agent,
 * the test guest, bdfuzz): v[0..6] = eax..ebp in and out, x7 as given
 * (BD_X7(...)), then INSN: "mrs xzr, mdccsr_el0" (EL0 or EL1) or
 * "hvc #0x86" (EL1). The hypervisor may change x0-x6 and guest memory.
 */
#define BD_ARM64_CALL(insn, v, x7v) do {				\
	register uint64_t bd_x0 __asm__("x0") = (v)[0];			\
	register uint64_t bd_x1 __asm__("x1") = (v)[1];			\
	register uint64_t bd_x2 __asm__("x2") = (v)[2];			\
	register uint64_t bd_x3 __asm__("x3") = (v)[3];			\
	register uint64_t bd_x4 __asm__("x4") = (v)[4];			\
	register uint64_t bd_x5 __asm__("x5") = (v)[5];			\
	register uint64_t bd_x6 __asm__("x6") = (v)[6];			\
	register uint64_t bd_x7 __asm__("x7") = (x7v);			\
									\
	__asm__ volatile(insn						\
			 : "+r"(bd_x0), "+r"(bd_x1), "+r"(bd_x2),	\
			   "+r"(bd_x3), "+r"(bd_x4), "+r"(bd_x5),	\
			   "+r"(bd_x6)					\
			 : "r"(bd_x7) : "memory");			\
	(v)[0] = bd_x0; (v)[1] = bd_x1; (v)[2] = bd_x2; (v)[3] = bd_x3;	\
	(v)[4] = bd_x4; (v)[5] = bd_x5; (v)[6] = bd_x6;			\
} while (0)

static inline void bd_call_mdccsr(uint64_t v[7], uint64_t x7)
{
	BD_ARM64_CALL("mrs xzr, mdccsr_el0", v, x7);
}

static inline void bd_call_hvc(uint64_t v[7], uint64_t x7)
{
	BD_ARM64_CALL("hvc #0x86", v, x7);
}
#endif
#endif
