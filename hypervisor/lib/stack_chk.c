// SPDX-License-Identifier: Apache-2.0
/*
 * Debian's libfdt.a is built with -fstack-protector-strong; the hypervisor
 * itself is not. A fixed canary is enough to catch libfdt overruns at boot.
 */
#include <core/panic.h>
#include <stdint.h>

uintptr_t __stack_chk_guard = 0x595e9fbd94fda766UL;

void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	hv_panic("stack protector: libfdt stack corrupted");
}
