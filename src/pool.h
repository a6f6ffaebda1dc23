/*
 * pool.h: request and response buffers, and the one memory budget they
 * share.
 *
 * A worker lends a connection its buffers from the first request byte until
 * the response is sent, and keeps returned ones for the next request, so a
 * steady load does not allocate. Every byte of every buffer, lent or kept,
 * by every worker, counts against one process-wide budget; a buffer that
 * would pass it is refused, and the server answers 503 with Retry-After.
 * So a client that sends the head and most of a 3 MiB body and then waits
 * holds at most its share: the sum over all connections never passes the
 * budget, whatever --max-conns is (issue: 60 such clients took 187 MB).
 *
 * Requests whose buffer would pass POOL_LARGE_BYTES may use only
 * POOL_LARGE_SHARE of the budget: the rest stays for the ordinary reviews
 * (tens of KiB) the apiserver sends meanwhile.
 *
 * Errors: 0, or POOL_NOMEM (malloc failed) / POOL_BUSY (over the budget).
 */
#ifndef TINYHOOK_POOL_H
#define TINYHOOK_POOL_H

#include <stddef.h>
#include "limit.h"

enum { POOL_OK = 0, POOL_NOMEM = -1, POOL_BUSY = -2 };

struct pool_buf {
	char	*p;
	size_t	 cap;
};

/* A worker's kept buffers; written by that worker only. */
struct pool {
	struct pool_buf	 keep[POOL_KEEP];
	int		 n;
};

void	pool_budget_set(size_t bytes);
size_t	pool_budget(void);
size_t	pool_held(void);
size_t	pool_budget_auto(void);

/*
 * Makes b hold at least need bytes (keeping its contents), taking a kept
 * buffer of pl first; when it must grow, it grows to want (>= need) if the
 * budget allows, else to need. Returns POOL_OK, POOL_NOMEM or POOL_BUSY
 * (b unchanged).
 */
int	pool_get(struct pool *pl, struct pool_buf *b, size_t need, size_t want);

/*
 * The same for a buffer of at most POOL_SMALL_EXEMPT bytes that a refusal
 * itself needs (the 503's own body): taken even over the budget, so a
 * refusal can always be sent. At most one per connection.
 */
int	pool_get_small(struct pool *pl, struct pool_buf *b, size_t need);

/*
 * Accounts for other memory the budget covers (json_store_hook's
 * signature: the JSON token arrays): 1 when the process may hold new_bytes
 * instead of old_bytes, else 0.
 */
int	pool_account(size_t old_bytes, size_t new_bytes);

/* Gives b back to pl (kept, or freed when pl is full). */
void	pool_put(struct pool *pl, struct pool_buf *b);

/* Frees pl's kept buffers; called when the budget is under pressure. */
void	pool_trim(struct pool *pl);

/*
 * How many requests the budget refused so far: a worker that sees it change
 * trims its kept buffers, so idle buffers never starve a new request.
 */
unsigned pool_pressure(void);

#endif
