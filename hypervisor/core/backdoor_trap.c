// SPDX-License-Identifier: Apache-2.0
/*
 * Backdoor calls from the guest, with the hypervisor's parts: guest
 * buffers reached through AT translation (and only in guest RAM), host
 * time from the management channel's anchor, events to the host.
 */
#include <arch/arch.h>
#include <arch/sysreg.h>
#include <core/backdoor.h>
#include <core/backdoor_trap.h>
#include <core/cpu.h>
#include <core/doorbell.h>
#include <core/guestmsg.h>
#include <core/hv.h>
#include <core/mgmt.h>
#include <core/rpci.h>
#include <core/secret.h>
#include <core/spinlock.h>
#include <core/tick.h>
#include <core/vtime.h>

#define NS_PER_S	1000000000ull
#define PAGE_SIZE	4096ull

static struct spinlock lock;
static struct gmsg msg;
static struct rpc_state rpc;

/* Host CLOCK_REALTIME paired with the counter when the host sent it. */
static struct {
	bool valid;
	uint64_t unix_ns, counter;
} anchor;

/* Per call: whether the caller runs at EL0 (for AT). */
struct call {
	bool el0;
};

static void lock_take(void)
{
	spin_lock(&lock);
}

static void lock_give(void)
{
	spin_unlock(&lock);
}

static uint64_t counter(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

static int host_time_ns(void *ctx, uint64_t *ret_ns)
{
	uint64_t d, f = hv.cntfrq;

	(void)ctx;
	if (!anchor.valid)
		return -EAGAIN;
	d = counter() - anchor.counter;
	*ret_ns = anchor.unix_ns + d / f * NS_PER_S + d % f * NS_PER_S / f;
	return 0;
}

/*
 * Where the hypervisor reaches guest VA va, for at most *n bytes (cut at
 * the page's end), or NULL: each page is translated on its own, so a
 * buffer that runs into an unmapped page fails there.
 *
 * Another vCPU of the guest may change its stage-1 tables between the AT
 * walk and the copy: the copy then reaches the page the VA mapped at the
 * walk, not the one it maps now. That is still the guest's own RAM, and
 * only its own, because (1) the PA comes from a walk through our stage 2,
 * which maps guest RAM and guest devices only, never the hypervisor's
 * memory, and never changes after boot; (2) the PA is checked here, at
 * every copy and for every page, with platform_guest_ram() (one RAM bank,
 * outside [hv.base, hv.end), no device), never taken from a cached
 * translation; (3) there is one guest per hypervisor, so RAM that is not
 * the hypervisor's is this guest's. The worst a racing guest gets is its
 * own data in another of its own pages, as it could write there itself.
 */
static uint8_t *guest_page(const struct call *k, uint64_t va, size_t *n,
			   bool write)
{
	size_t chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
	uint64_t pa;

	if (chunk > *n)
		chunk = *n;
	if (guest_translate(va, write, k->el0, &pa) < 0 ||
	    !platform_guest_ram(&hv.plat, hv.base, hv.end, pa, chunk))
		return NULL;
	if (guest_caches_off())
		dcache_civac_range(pa, chunk);
	*n = chunk;
	return (uint8_t *)(uintptr_t)pa;
}

static int read_guest(void *ctx, void *dst, uint64_t va, size_t n)
{
	uint8_t *p = dst;

	while (n) {
		size_t chunk = n;
		const uint8_t *g = guest_page(ctx, va, &chunk, false);

		if (!g)
			return -EFAULT;
		memcpy(p, g, chunk);
		va += chunk;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

static int write_guest(void *ctx, uint64_t va, const void *src, size_t n)
{
	const uint8_t *p = src;

	while (n) {
		size_t chunk = n;
		uint8_t *g = guest_page(ctx, va, &chunk, true);

		if (!g)
			return -EFAULT;
		memcpy(g, p, chunk);
		if (guest_caches_off())	/* the guest reads past the cache */
			dcache_civac_range((uintptr_t)g, chunk);
		va += chunk;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

static const struct bd_ops ops = {
	.host_time_ns = host_time_ns,
	.read_guest = read_guest,
	.write_guest = write_guest,
};

static void event(void *ctx, uint8_t type, const void *payload, uint32_t len)
{
	(void)ctx;
	mgmt_event(type, payload, len);
}

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return tick_now_ms();
}

void backdoor_init(void)
{
	struct sip_key key;

	secret_key("backdoor-cookies", &key);
	rpc_init(&rpc, event, now_ms, NULL);
	gmsg_init(&msg, &rpc_gmsg_ops, &rpc, &key);
}

/* Everything but the fast path: under the lock, with time, entropy and
 * guest memory. */
static bool backdoor_slow(struct cpu *c, struct trap_frame *f)
{
	struct call k = {
		(f->spsr & SPSR_MODE_MASK) == SPSR_MODE_EL0T,
	};
	struct bd_ctx b = {
		&ops, &k, vtime_guest_freq(),
		hv.cfg.has_uuid ? hv.cfg.uuid : NULL, &msg,
		tick_now_ms(), counter() ^ c->id,
	};
	enum bd_result r;

	lock_take();
	r = bd_call(&b, f->x[7], f->x);
	lock_give();
	return r == BD_DONE;
}

bool backdoor_trap(struct cpu *c, struct trap_frame *f)
{
	struct bd_ctx fast = {
		.counter_hz = vtime_guest_freq(),
		.uuid = hv.cfg.has_uuid ? hv.cfg.uuid : NULL,
	};

	if (bd_fast_call(&fast, f->x[7], f->x))
		return true;
	return backdoor_slow(c, f);
}

int backdoor_guestinfo_set(const void *payload, size_t len)
{
	int r;

	lock_take();
	r = rpc_guestinfo_set(&rpc, payload, len);
	lock_give();
	return r;
}

int backdoor_tclo_push(const void *text, size_t len)
{
	int r;

	lock_take();
	r = rpc_tclo_push(&rpc, text, len);
	lock_give();
	if (r == 0)	/* wake the agent: it fetches the command now */
		doorbell_ring();
	return r;
}

void backdoor_host_time_set(uint64_t unix_ns)
{
	uint64_t now = counter();

	lock_take();
	anchor.unix_ns = unix_ns;
	anchor.counter = now;
	anchor.valid = true;
	lock_give();
}
