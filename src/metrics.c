/*
 * metrics.c: counting and the Prometheus text exposition. See metrics.h.
 */
#include <stddef.h>
#include <string.h>

#include "certinfo.h"
#include "metrics.h"
#include "version.h"

static const char *const op_names[NUM_MO] = {
	[MO_CREATE] = "CREATE", [MO_UPDATE] = "UPDATE", [MO_DELETE] = "DELETE",
	[MO_CONNECT] = "CONNECT", [MO_NONE] = "",
};
static const char *const decision_names[NUM_MD] = {
	[MD_ALLOWED] = "allowed", [MD_DENIED] = "denied", [MD_WARNED] = "warned",
	[MD_ERROR] = "error", [MD_NONE] = "",
};
static const uint64_t bucket_us[METRICS_NBUCKETS] = {
	25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
/* The same bounds as Prometheus "le" labels, in seconds. */
static const char *const bucket_le[METRICS_NBUCKETS] = {
	"2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025",
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
	"5", "10",
};

/* The kind label index of a request.kind.kind. */
static int
metrics_kind_of(const char *kind)
{
	int i = kinds_index(kind, strlen(kind));

	if (i >= 0)
		return i;
	return strcmp(kind, "ConversionReview") == 0 ? MK_CONVERSION : MK_OTHER;
}

static const char *
metrics_kind_name(int k)
{
	return k < NUM_KINDS ? kinds[k].kind : k == MK_CONVERSION ? "ConversionReview" :
	    k == MK_OTHER ? "other" : "";
}

/* The path label of route p. */
static const char *
metrics_path_name(int p)
{
	return p < NUM_ROUTES ? routes[p].path : "other";
}

/* Index of s in names[0..n), or dflt. */
static int
metrics_find(const char *const *names, int n, const char *s, size_t len, int dflt)
{
	int i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return dflt;
}

/* The decision label of a finished review (or MD_NONE for other paths). */
static enum metrics_decision
metrics_decision(enum route_id p, const struct verdict *ri, int status)
{
	if (p != R_VALIDATE && p != R_MUTATE && p != R_CONVERT)
		return MD_NONE;
	if (status != 200 || ri == NULL || ri->error[0])
		return MD_ERROR;
	if (ri->allowed == 0)
		return MD_DENIED;
	return ri->warnings > 0 ? MD_WARNED : MD_ALLOWED;
}

void
metrics_observe(struct metrics *m, enum route_id p,
    const struct verdict *ri, int status, uint64_t us)
{
	int op = MO_NONE, kind = MK_NONE, b;

	if (ri != NULL && ri->op[0])
		op = metrics_find(op_names, MO_NONE, ri->op, strlen(ri->op), MO_NONE);
	if (ri != NULL && ri->kind[0])
		kind = metrics_kind_of(ri->kind);
	METRICS_ADD(m->requests[p][op][kind][metrics_decision(p, ri, status)], 1);
	for (b = 0; b < METRICS_NBUCKETS && us > bucket_us[b]; b++)
		;
	METRICS_ADD(m->latency[p][b], 1);
	METRICS_ADD(m->latency_sum_us[p], us);
}

/* Sum over workers of the counter at byte offset off in struct metrics. */
static uint64_t
metrics_sum(struct metrics *const *w, int n, size_t off)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += __atomic_load_n((uint64_t *)(void *)((char *)w[i] + off), __ATOMIC_RELAXED);
	return s;
}

#define SUM(field)	metrics_sum(w, n, offsetof(struct metrics, field))

static void
metrics_head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_puts(b, "# HELP ");
	buf_puts(b, name);
	buf_putc(b, ' ');
	buf_puts(b, help);
	buf_puts(b, "\n# TYPE ");
	buf_puts(b, name);
	buf_putc(b, ' ');
	buf_puts(b, type);
	buf_putc(b, '\n');
}

/* Writes "name value\n" for a metric without labels. */
static void
metrics_simple(struct buf *b, const char *name, const char *type,
    const char *help, int64_t v)
{
	metrics_head(b, name, type, help);
	buf_puts(b, name);
	buf_putc(b, ' ');
	if (v < 0) {
		buf_putc(b, '-');
		v = -v;
	}
	buf_put_u64(b, (uint64_t)v);
	buf_putc(b, '\n');
}

/* Writes `,name="value"` unless value is empty. */
static void
metrics_label(struct buf *b, const char *name, const char *value, int *first)
{
	if (!value[0])
		return;
	if (!*first)
		buf_putc(b, ',');
	*first = 0;
	buf_puts(b, name);
	buf_puts(b, "=\"");
	buf_puts(b, value);
	buf_putc(b, '"');
}

static void
metrics_requests(struct buf *b, struct metrics *const *w, int n)
{
	int p, o, k, d, first;
	uint64_t v;

	metrics_head(b, "tinyhook_requests_total", "counter",
	    "Requests answered, by path, operation, kind and decision.");
	for (p = 0; p < NUM_MP; p++)
		for (o = 0; o < NUM_MO; o++)
			for (k = 0; k < NUM_MK; k++)
				for (d = 0; d < NUM_MD; d++) {
					if ((v = SUM(requests[p][o][k][d])) == 0)
						continue;
					first = 1;
					buf_puts(b, "tinyhook_requests_total{");
					metrics_label(b, "path", metrics_path_name(p), &first);
					metrics_label(b, "operation", op_names[o], &first);
					metrics_label(b, "kind", metrics_kind_name(k), &first);
					metrics_label(b, "decision", decision_names[d], &first);
					buf_puts(b, "} ");
					buf_put_u64(b, v);
					buf_putc(b, '\n');
				}
}

/* Microseconds as seconds with six decimals, without floating point. */
static void
metrics_put_seconds(struct buf *b, uint64_t us)
{
	char frac[7];
	int i;

	buf_put_u64(b, us / 1000000);
	for (i = 5, us %= 1000000; i >= 0; i--, us /= 10)
		frac[i] = (char)('0' + us % 10);
	frac[6] = '\0';
	buf_putc(b, '.');
	buf_puts(b, frac);
}

static void
metrics_latency(struct buf *b, struct metrics *const *w, int n)
{
	uint64_t cum, count;
	int p, i;

	metrics_head(b, "tinyhook_request_duration_seconds", "histogram",
	    "Time from the first byte of a request to its response, by path.");
	for (p = 0; p < NUM_MP; p++) {
		for (cum = 0, i = 0; i <= METRICS_NBUCKETS; i++)
			cum += SUM(latency[p][i]);
		if ((count = cum) == 0)
			continue;
		for (cum = 0, i = 0; i <= METRICS_NBUCKETS; i++) {
			cum += SUM(latency[p][i]);
			buf_puts(b, "tinyhook_request_duration_seconds_bucket{path=\"");
			buf_puts(b, metrics_path_name(p));
			buf_puts(b, "\",le=\"");
			buf_puts(b, i < METRICS_NBUCKETS ? bucket_le[i] : "+Inf");
			buf_puts(b, "\"} ");
			buf_put_u64(b, cum);
			buf_putc(b, '\n');
		}
		buf_puts(b, "tinyhook_request_duration_seconds_sum{path=\"");
		buf_puts(b, metrics_path_name(p));
		buf_puts(b, "\"} ");
		metrics_put_seconds(b, SUM(latency_sum_us[p]));
		buf_puts(b, "\ntinyhook_request_duration_seconds_count{path=\"");
		buf_puts(b, metrics_path_name(p));
		buf_puts(b, "\"} ");
		buf_put_u64(b, count);
		buf_putc(b, '\n');
	}
}

void
metrics_render(struct buf *b, struct metrics *const *w, int n,
    const struct metrics_gauges *g)
{
	int i;

	metrics_requests(b, w, n);
	metrics_latency(b, w, n);
	metrics_simple(b, "tinyhook_in_flight_requests", "gauge",
	    "Requests received and not yet answered.", (int64_t)SUM(in_flight));
	metrics_simple(b, "tinyhook_open_connections", "gauge",
	    "Open client connections.", g->open_conns);
	metrics_head(b, "tinyhook_tls_handshakes_total", "counter",
	    "Completed TLS handshakes, full or resumed from the session cache.");
	buf_puts(b, "tinyhook_tls_handshakes_total{type=\"full\"} ");
	buf_put_u64(b, SUM(handshakes_full));
	buf_puts(b, "\ntinyhook_tls_handshakes_total{type=\"resumed\"} ");
	buf_put_u64(b, SUM(handshakes_resumed));
	buf_putc(b, '\n');
	metrics_simple(b, "tinyhook_tls_handshake_failures_total", "counter",
	    "Connections that closed before or during the TLS handshake with an error.",
	    (int64_t)SUM(handshake_failures));
	metrics_simple(b, "tinyhook_connections_refused_total", "counter",
	    "Connections closed at accept because --max-conns was reached.",
	    (int64_t)SUM(refused));
	metrics_simple(b, "tinyhook_busy_refusals_total", "counter",
	    "Requests answered 503 because their buffers would pass --max-buffer-bytes.",
	    (int64_t)SUM(busy_refusals));
	metrics_simple(b, "tinyhook_buffer_bytes", "gauge",
	    "Bytes of request and response buffers held (lent or kept).",
	    (int64_t)g->buffer_bytes);
	metrics_simple(b, "tinyhook_buffer_budget_bytes", "gauge",
	    "The memory budget of all request and response buffers (--max-buffer-bytes).",
	    (int64_t)g->buffer_budget);
	metrics_simple(b, "tinyhook_received_bytes_total", "counter",
	    "Bytes received from clients (TLS records).", (int64_t)SUM(bytes_in));
	metrics_simple(b, "tinyhook_sent_bytes_total", "counter",
	    "Bytes sent to clients (TLS records).", (int64_t)SUM(bytes_out));
	metrics_simple(b, "tinyhook_certificate_expiry_timestamp_seconds", "gauge",
	    "Expiry (notAfter) of the served certificate, seconds since the epoch.",
	    g->cert_not_after);
	metrics_head(b, "tinyhook_certificate_problem", "gauge",
	    "1 while the served certificate has the problem (logged at load), else 0.");
	for (i = 0; i < NUM_CERT_PROBLEMS; i++) {
		buf_puts(b, "tinyhook_certificate_problem{problem=\"");
		buf_puts(b, certinfo_problem_names[i]);
		buf_puts(b, (g->cert_problems & (1u << i)) ? "\"} 1\n" : "\"} 0\n");
	}
	metrics_simple(b, "tinyhook_draining", "gauge",
	    "1 after SIGTERM while requests finish, else 0.", g->draining);
	metrics_head(b, "tinyhook_build_info", "gauge",
	    "Constant 1, labelled with the version and the compiled policy.");
	buf_puts(b, "tinyhook_build_info{version=\"" TINYHOOK_VERSION "\",policy=\"");
	buf_puts(b, policy_name);
	buf_puts(b, "\",policy_hash=\"");
	buf_puts(b, policy_hash);
	buf_puts(b, "\"} 1\n");
}
