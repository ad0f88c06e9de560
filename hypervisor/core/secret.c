// SPDX-License-Identifier: Apache-2.0
/* The boot-time secret: see secret.h. */
#include <arch/arch.h>
#include <core/console.h>
#include <core/secret.h>
#include <libfdt.h>

static struct sip_key master;
static uint64_t absorbed;

/* master = PRF_master(master || v): every input changes the whole key. */
static void mix(uint64_t v)
{
	uint64_t in[2] = { absorbed++, v };
	struct sip_key k = master;

	master.k0 = siphash24(&k, in, sizeof(in));
	in[0] |= 1ull << 63;
	master.k1 = siphash24(&k, in, sizeof(in));
}

static void mix_bytes(const uint8_t *p, int n)
{
	for (int i = 0; i < n; i += 8) {
		uint64_t v = 0;

		for (int j = 0; j < 8 && i + j < n; j++)
			v |= (uint64_t)p[i + j] << (8 * j);
		mix(v);
	}
}

/* Takes a /chosen seed property and wipes it from the machine DT in
 * place (NOPs: nothing moves, pointers into the DT stay valid). */
static bool take_dt_seed(void *fdt, int chosen, const char *name)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, chosen, name, &len);

	if (!p || len < 8)
		return false;
	mix_bytes(p, len);
	fdt_nop_property(fdt, chosen, name);
	return true;
}

unsigned secret_init(void *fdt)
{
	unsigned used = SECRET_COUNTER;
	int chosen = fdt_path_offset(fdt, "/chosen");
	uint64_t r;

	mix(arch_counter());
	for (int i = 0; i < 4; i++)
		if (arch_random(&r)) {
			mix(r);
			used |= SECRET_RNDR;
		}
	if (chosen >= 0) {
		if (take_dt_seed(fdt, chosen, "rng-seed"))
			used |= SECRET_DT_SEED;
		if (take_dt_seed(fdt, chosen, "kaslr-seed"))
			used |= SECRET_DT_SEED;
	}
	mix(arch_counter());
	hv_log("boot secret from%s%s the counter",
	       used & SECRET_RNDR ? " RNDR," : "",
	       used & SECRET_DT_SEED ? " the DT's seeds," : "");
	return used;
}

void secret_key(const char *label, struct sip_key *ret)
{
	size_t n = strlen(label);
	uint64_t c = arch_counter();

	/* Keys made after boot also take the counter in. */
	mix(c);
	ret->k0 = siphash24(&master, label, n);
	mix(c ^ 1);
	ret->k1 = siphash24(&master, label, n);
}

void secret_guest_seed(uint8_t out[SECRET_GUEST_SEED])
{
	struct sip_key k;

	secret_key("guest-dt-seed", &k);
	for (unsigned i = 0; i < SECRET_GUEST_SEED; i += 8) {
		uint64_t v = siphash24(&k, &i, sizeof(i));

		memcpy(out + i, &v, 8);
	}
}
