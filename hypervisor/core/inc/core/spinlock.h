/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hypervisor's one lock: a test-and-set spinlock (acquire on take,
 * release on give). Exclusives need the EL2 MMU on (normal memory);
 * before that only CPU 0 runs. Holders never wait for another CPU.
 */
#ifndef CORE_SPINLOCK_H
#define CORE_SPINLOCK_H
#include <stdbool.h>

struct spinlock {
	volatile int held;
};

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
		;
}

/* True when taken; false when someone holds it (nothing waits). */
static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}
#endif
