// SPDX-License-Identifier: Apache-2.0
/*
 * virtio console over virtio-mmio (virtio 1.x section 4.2, and the legacy
 * interface QEMU offers by default). Port 0 only, no features: queue 0
 * receives from the host, queue 1 transmits. Rings and buffers live in
 * hypervisor memory, which is never mapped into the guest.
 */
#include <arch/sysreg.h>
#include <drivers/virtio_console.h>
#include <stdbool.h>
#include <string.h>

#define MMIO_MAGIC		0x000
#define MMIO_VERSION		0x004
#define MMIO_DEVICE_ID		0x008
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES	0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_GUEST_PAGE_SIZE	0x028	/* legacy */
#define MMIO_QUEUE_SEL		0x030
#define MMIO_QUEUE_NUM_MAX	0x034
#define MMIO_QUEUE_NUM		0x038
#define MMIO_QUEUE_ALIGN	0x03c	/* legacy */
#define MMIO_QUEUE_PFN		0x040	/* legacy */
#define MMIO_QUEUE_READY	0x044
#define MMIO_QUEUE_NOTIFY	0x050
#define MMIO_INTERRUPT_STATUS	0x060
#define MMIO_INTERRUPT_ACK	0x064
#define MMIO_STATUS		0x070
#define MMIO_QUEUE_DESC		0x080
#define MMIO_QUEUE_AVAIL	0x090
#define MMIO_QUEUE_USED		0x0a0

#define STATUS_ACK		1
#define STATUS_DRIVER		2
#define STATUS_DRIVER_OK	4
#define STATUS_FEATURES_OK	8
#define VIRTIO_MAGIC		0x74726976	/* "virt" */
#define DESC_F_WRITE		2

#define QSIZE			16
#define RX_BUF			256
#define TX_BUF			1056

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct vring_avail {
	uint16_t flags, idx;
	uint16_t ring[QSIZE];
	uint16_t used_event;
};

struct vring_used_elem {
	uint32_t id, len;
};

struct vring_used {
	uint16_t flags, idx;
	struct vring_used_elem ring[QSIZE];
	uint16_t avail_event;
};

/* Legacy layout: descriptors and avail ring, then the used ring on the
 * next page. The modern interface accepts the same addresses. */
struct vring_mem {
	struct vring_desc desc[QSIZE];
	struct vring_avail avail;
	uint8_t pad[4096 - QSIZE * sizeof(struct vring_desc) -
		    sizeof(struct vring_avail)];
	struct vring_used used;
} __attribute__((aligned(4096)));

struct vq {
	struct vring_mem *mem;
	uint16_t avail_idx, last_used;
	uint32_t free_mask;	/* tx: descriptors free to fill */
};

static struct vring_mem rings[2];
static uint8_t rx_bufs[QSIZE][RX_BUF] __attribute__((aligned(64)));
static uint8_t tx_bufs[QSIZE][TX_BUF] __attribute__((aligned(64)));
static struct vq rxq, txq;
static uintptr_t dev;

static uint32_t rd(unsigned off)
{
	return *(volatile uint32_t *)(dev + off);
}

static void wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(dev + off) = v;
}

static void wr64(unsigned off, uint64_t v)
{
	wr(off, (uint32_t)v);
	wr(off + 4, (uint32_t)(v >> 32));
}

static int setup_queue(unsigned q, struct vring_mem *m, bool legacy)
{
	uintptr_t a = (uintptr_t)m;

	wr(MMIO_QUEUE_SEL, q);
	if (rd(MMIO_QUEUE_NUM_MAX) < QSIZE)
		return -1;
	wr(MMIO_QUEUE_NUM, QSIZE);
	if (legacy) {
		wr(MMIO_QUEUE_ALIGN, 4096);
		wr(MMIO_QUEUE_PFN, (uint32_t)(a >> 12));
		return 0;
	}
	wr64(MMIO_QUEUE_DESC, a);
	wr64(MMIO_QUEUE_AVAIL, (uintptr_t)&m->avail);
	wr64(MMIO_QUEUE_USED, (uintptr_t)&m->used);
	wr(MMIO_QUEUE_READY, 1);
	return 0;
}

static void publish(struct vq *q, unsigned qidx, uint16_t id)
{
	q->mem->avail.ring[q->avail_idx % QSIZE] = id;
	dsb(sy);
	q->mem->avail.idx = ++q->avail_idx;
	dsb(sy);
	wr(MMIO_QUEUE_NOTIFY, qidx);
}

static void post_rx(uint16_t id)
{
	struct vring_desc *d = &rxq.mem->desc[id];

	d->addr = (uintptr_t)rx_bufs[id];
	d->len = RX_BUF;
	d->flags = DESC_F_WRITE;
	publish(&rxq, 0, id);
}

static int negotiate(bool legacy)
{
	wr(MMIO_DEVICE_FEATURES_SEL, 0);
	wr(MMIO_DRIVER_FEATURES_SEL, 0);
	wr(MMIO_DRIVER_FEATURES, 0);
	if (legacy) {
		wr(MMIO_GUEST_PAGE_SIZE, 4096);
		return 0;
	}
	wr(MMIO_DRIVER_FEATURES_SEL, 1);
	wr(MMIO_DRIVER_FEATURES, 1);	/* VIRTIO_F_VERSION_1 */
	wr(MMIO_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	return rd(MMIO_STATUS) & STATUS_FEATURES_OK ? 0 : -1;
}

int vcon_init(uintptr_t base)
{
	bool legacy;

	dev = base;
	if (rd(MMIO_MAGIC) != VIRTIO_MAGIC || rd(MMIO_DEVICE_ID) != VIRTIO_ID_CONSOLE)
		return -1;
	legacy = rd(MMIO_VERSION) == 1;
	wr(MMIO_STATUS, 0);
	wr(MMIO_STATUS, STATUS_ACK | STATUS_DRIVER);
	rxq = (struct vq){ .mem = &rings[0] };
	txq = (struct vq){ .mem = &rings[1], .free_mask = (1u << QSIZE) - 1 };
	if (negotiate(legacy) || setup_queue(0, rxq.mem, legacy) ||
	    setup_queue(1, txq.mem, legacy)) {
		wr(MMIO_STATUS, 0x80);	/* FAILED */
		return -1;
	}
	wr(MMIO_STATUS, rd(MMIO_STATUS) | STATUS_DRIVER_OK);
	for (uint16_t i = 0; i < QSIZE; i++)
		post_rx(i);
	return 0;
}

void vcon_irq_ack(void)
{
	wr(MMIO_INTERRUPT_ACK, rd(MMIO_INTERRUPT_STATUS));
}

void vcon_receive(void (*sink)(void *ctx, const void *data, size_t len),
		  void *ctx)
{
	if (!dev)
		return;
	while (rxq.last_used != *(volatile uint16_t *)&rxq.mem->used.idx) {
		struct vring_used_elem e = rxq.mem->used.ring[rxq.last_used % QSIZE];

		rxq.last_used++;
		if (e.id >= QSIZE)
			continue;	/* a confused device: drop the entry */
		sink(ctx, rx_bufs[e.id], e.len < RX_BUF ? e.len : RX_BUF);
		post_rx((uint16_t)e.id);
	}
}

bool vcon_rx_pending(void)
{
	return dev && rxq.last_used != *(volatile uint16_t *)&rxq.mem->used.idx;
}

static void reclaim_tx(void)
{
	while (txq.last_used != *(volatile uint16_t *)&txq.mem->used.idx) {
		uint32_t id = txq.mem->used.ring[txq.last_used % QSIZE].id;

		txq.last_used++;
		if (id < QSIZE)
			txq.free_mask |= 1u << id;
	}
}

int vcon_send(const void *data, size_t len)
{
	struct vring_desc *d;
	unsigned id;

	if (!dev || len > TX_BUF)
		return -1;
	reclaim_tx();
	if (!txq.free_mask)
		return -1;
	id = __builtin_ctz(txq.free_mask);
	txq.free_mask &= ~(1u << id);
	memcpy(tx_bufs[id], data, len);
	d = &txq.mem->desc[id];
	d->addr = (uintptr_t)tx_bufs[id];
	d->len = (uint32_t)len;
	d->flags = 0;
	publish(&txq, 1, (uint16_t)id);
	return 0;
}
