// SPDX-License-Identifier: Apache-2.0
/* The agent's doorbell (core/doorbell.h). */
#include <arch/gic.h>
#include <core/console.h>
#include <core/doorbell.h>
#include <core/hv.h>
#include <core/vgic.h>
#include <core/wdt.h>

#define GICD_ISPENDR	0x0200

_Static_assert(DOORBELL_SPI != WDT_SPI, "one SPI each");
_Static_assert(DOORBELL_SPI + 32 < GIC_MAX_INTID, "an SPI the GIC has");

static bool present;
static uint64_t rings;

void doorbell_init(bool on)
{
	present = on;
	if (on)
		hv_log("agent doorbell on SPI %u (gpio-keys \"%s\")",
		       DOORBELL_SPI, DOORBELL_LABEL);
}

bool doorbell_present(void)
{
	return present;
}

/* Only the guest's own SPI, never one the hypervisor keeps: the
 * distributor write is the whole effect, on any CPU, under no lock
 * (ISPENDR is write-one-to-set: concurrent rings merge into one
 * interrupt, and the agent drains the whole queue when woken). */
void doorbell_ring(void)
{
	unsigned intid = DOORBELL_SPI + 32;

	if (!present || vgic_is_hv_owned(intid))
		return;
	__atomic_add_fetch(&rings, 1, __ATOMIC_RELAXED);
	mmio_write(hv.plat.gicd + GICD_ISPENDR + 4 * (intid / 32), 4,
		   1u << (intid % 32));
}

uint64_t doorbell_rings(void)
{
	return __atomic_load_n(&rings, __ATOMIC_RELAXED);
}
