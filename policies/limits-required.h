/*
 * policies/limits-required.h: every container declares a memory limit, so
 * the node's memory stays predictable (an edge board has no room for a pod
 * that grows until the OOM killer picks a victim). An example of a custom
 * rule: a per-container C function, made a row with CUSTOM_EACH.
 *
 * /validate: deny a Pod or workload template whose init or regular
 *            containers lack resources.limits.memory; warn when a
 *            container has no memory request either.
 * /mutate:   label workloads with the policy that admitted them.
 */

/* resources.limits.memory must be a non-empty string or a number. */
static void
memory_limit_each(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	int v = json_getp(d, c, "resources.limits.memory");
	char mem[RULES_MSG_MAX];
	struct buf m;

	(void)list;
	(void)index;
	if ((json_type(d, v) == JSON_STRING && !json_str_empty(d, v)) ||
	    json_type(d, v) == JSON_NUMBER)
		return;
	buf_init(&m, mem, sizeof(mem));
	buf_puts(&m, "container ");
	rules_put_quoted(&m, d, json_get(d, c, "name"));
	buf_puts(&m, " must set resources.limits.memory");
	rules_report_buf(rc, r, &m);
}

/* A request lets the scheduler place the pod; without it it is guessed. */
static void
memory_request_each(struct rule_ctx *rc, const struct rule *r, int c,
    const char *list, int index)
{
	struct json *d = rc->rq->d;
	char mem[RULES_MSG_MAX];
	struct buf m;

	(void)list;
	(void)index;
	if (json_getp(d, c, "resources.requests.memory") != JSON_NONE)
		return;
	buf_init(&m, mem, sizeof(mem));
	buf_puts(&m, "container ");
	rules_put_quoted(&m, d, json_get(d, c, "name"));
	buf_puts(&m, " has no resources.requests.memory: the limit is used as the request");
	rules_report_buf(rc, r, &m);
}

static const struct rule policy[] = {
	CUSTOM_EACH(DENY, memory_limit_each, RULES_INIT | RULES_MAIN),
	CUSTOM_EACH(WARN, memory_request_each, RULES_INIT | RULES_MAIN),
	DEFAULT_LABEL("policy.tinyhook.dev/admitted-by", "limits-required"),
};
