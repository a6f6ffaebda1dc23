/*
 * pool.c: buffers lent to connections, counted against one budget (see
 * pool.h for why).
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

static size_t budget = POOL_BUDGET_DEFAULT;
static atomic_size_t held;		/* bytes of all buffers, lent or kept */
static atomic_uint pressure;		/* refusals so far: workers trim on change */

void
pool_budget_set(size_t bytes)
{
	budget = bytes < POOL_BUDGET_MIN ? POOL_BUDGET_MIN : bytes;
}

size_t
pool_budget(void)
{
	return budget;
}

size_t
pool_held(void)
{
	return atomic_load(&held);
}

/*
 * Half of the cgroup's memory limit (v2 memory.max, else v1
 * memory.limit_in_bytes) when one is set, else POOL_BUDGET_DEFAULT. In a
 * pod that is the container's resources.limits.memory.
 */
size_t
pool_budget_auto(void)
{
	static const char *const files[] = {
		"/sys/fs/cgroup/memory.max",
		"/sys/fs/cgroup/memory/memory.limit_in_bytes",
	};
	unsigned long long v;
	char text[32], *end;
	size_t i;
	ssize_t n;
	int fd;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((fd = open(files[i], O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n <= 0)
			continue;
		text[n] = '\0';
		v = strtoull(text, &end, 10);	/* "max": no limit */
		/* v1 says "no limit" with a huge number (PAGE_COUNTER_MAX). */
		if (end != text && v > 0 && v < (1ull << 50))
			return (size_t)(v / 2);
	}
	return POOL_BUDGET_DEFAULT;
}

/* Reserves delta more bytes for a buffer of size total, or fails. */
static int
pool_reserve(size_t delta, size_t total)
{
	size_t limit = total > POOL_LARGE_BYTES ?
	    budget / 100 * POOL_LARGE_SHARE_PCT : budget;
	size_t now = atomic_fetch_add(&held, delta) + delta;

	if (now <= limit)
		return 1;
	atomic_fetch_sub(&held, delta);
	return 0;
}

int
pool_account(size_t old_bytes, size_t new_bytes)
{
	if (new_bytes <= old_bytes) {
		atomic_fetch_sub(&held, old_bytes - new_bytes);
		return 1;
	}
	if (pool_reserve(new_bytes - old_bytes, new_bytes))
		return 1;
	atomic_fetch_add(&pressure, 1);
	return 0;
}

static int
pool_grow(struct pool_buf *b, size_t n)
{
	char *p;

	if (!pool_reserve(n - b->cap, n))
		return POOL_BUSY;
	if ((p = realloc(b->p, n)) == NULL) {
		atomic_fetch_sub(&held, n - b->cap);
		return POOL_NOMEM;
	}
	b->p = p;
	b->cap = n;
	return POOL_OK;
}

int
pool_get(struct pool *pl, struct pool_buf *b, size_t need, size_t want)
{
	int rc;

	if (b->cap >= need)
		return POOL_OK;
	if (b->p == NULL && pl->n > 0) {
		*b = pl->keep[--pl->n];
		if (b->cap >= need)
			return POOL_OK;
	}
	if (want > need && pool_grow(b, want) == POOL_OK)
		return POOL_OK;
	if ((rc = pool_grow(b, need)) == POOL_BUSY && pl->n > 0) {
		pool_trim(pl);		/* our own kept buffers count too */
		rc = pool_grow(b, need);
	}
	if (rc == POOL_BUSY)
		atomic_fetch_add(&pressure, 1);
	return rc;
}

int
pool_get_small(struct pool *pl, struct pool_buf *b, size_t need)
{
	char *p;

	if (need > POOL_SMALL_EXEMPT)
		return POOL_NOMEM;
	if (pool_get(pl, b, need, need) == POOL_OK)
		return POOL_OK;
	if ((p = realloc(b->p, need)) == NULL)
		return POOL_NOMEM;
	atomic_fetch_add(&held, need - b->cap);
	b->p = p;
	b->cap = need;
	return POOL_OK;
}

void
pool_put(struct pool *pl, struct pool_buf *b)
{
	if (b->p == NULL)
		return;
	if (pl->n < POOL_KEEP) {
		pl->keep[pl->n++] = *b;
	} else {
		free(b->p);
		atomic_fetch_sub(&held, b->cap);
	}
	b->p = NULL;
	b->cap = 0;
}

void
pool_trim(struct pool *pl)
{
	while (pl->n > 0) {
		pl->n--;
		free(pl->keep[pl->n].p);
		atomic_fetch_sub(&held, pl->keep[pl->n].cap);
	}
}

unsigned
pool_pressure(void)
{
	return atomic_load(&pressure);
}
