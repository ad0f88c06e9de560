// SPDX-License-Identifier: Apache-2.0
/*
 * /cpus/cpu-map (Linux Documentation/devicetree/bindings/cpu/cpu-topology)
 * into PPTT processor hierarchy nodes: socketN, clusterN (nestable), coreN,
 * threadN; the leaves name a CPU by phandle. Optional: anything odd and
 * the whole topology is left out, with the reason.
 */
#include "board.h"

static bool prefixed(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

static int cpu_of(const struct board *b, uint32_t phandle)
{
	for (unsigned i = 0; i < b->ncpus; i++)
		if (phandle && b->cpu[i].phandle == phandle)
			return (int)i;
	return -1;
}

/* Adds node and its subtree; returns a reason to give up, or NULL. */
static const char *walk(struct board *b, int node, int parent, int depth,
			uint64_t *seen)
{
	const char *name = fdt_get_name(b->fdt, node, NULL);
	struct topo_node *t;
	uint32_t ph;
	int child, idx;

	if (depth > BOARD_TOPO_DEPTH)
		return "nested too deep";
	if (b->ntopo == BOARD_MAX_TOPO)
		return "too many nodes";
	idx = (int)b->ntopo++;
	t = &b->topo[idx];
	t->parent = parent;
	t->package = prefixed(name, "socket");
	t->thread = prefixed(name, "thread");
	t->cpu = -1;
	if (board_u32(b->fdt, node, "cpu", &ph) == 0) {
		t->cpu = cpu_of(b, ph);
		if (t->cpu < 0 || (seen[t->cpu / 64] >> (t->cpu % 64) & 1))
			return "a leaf names no CPU, or one twice";
		seen[t->cpu / 64] |= 1ull << (t->cpu % 64);
		return NULL;
	}
	fdt_for_each_subnode(child, b->fdt, node) {
		const char *why = walk(b, child, idx, depth + 1, seen);

		if (why)
			return why;
	}
	return NULL;
}

void board_parse_topology(struct board *b)
{
	int map = fdt_path_offset(b->fdt, "/cpus/cpu-map"), node;
	uint64_t seen[(BOARD_MAX_CPUS + 63) / 64] = { 0 };
	const char *why = NULL;
	unsigned leaves = 0;

	if (map < 0)
		return;
	fdt_for_each_subnode(node, b->fdt, map)
		if (!why)
			why = walk(b, node, -1, 1, seen);
	for (unsigned i = 0; !why && i < b->ntopo; i++)
		leaves += b->topo[i].cpu >= 0;
	if (!why && leaves != b->ncpus)
		why = "does not name every CPU";
	if (why) {
		b->ntopo = 0;
		board_note(b, ACPI_NOTE_LEFT_OUT, map, "no PPTT: %s", why);
		return;
	}
	board_note(b, ACPI_NOTE_MAPPED, map, "PPTT: %u processor hierarchy nodes",
		   b->ntopo);
}
