// SPDX-License-Identifier: Apache-2.0
/* The agent's doorbell (core/doorbell.h). */
#include <arch/gic.h>
#include <core/console.h>
#include <core/doorbell.h>
#include <core/hv.h>
#include <core/vgic.h>
#include <core/wdt.h>

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

/* Rung on any CPU, under no lock, through the vgic's entry point for
 * emulated devices (vgic_spi_set_pending(), which never touches an SPI
 * the hypervisor keeps). ISPENDR is write-one-to-set: concurrent rings
 * merge into one interrupt, and the agent drains the whole queue when
 * woken. */
void doorbell_ring(void)
{
	if (!present)
		return;
	if (vgic_spi_set_pending(DOORBELL_SPI + 32, true))
		__atomic_add_fetch(&rings, 1, __ATOMIC_RELAXED);
}

uint64_t doorbell_rings(void)
{
	return __atomic_load_n(&rings, __ATOMIC_RELAXED);
}
