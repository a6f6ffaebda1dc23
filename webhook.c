/*
 * webhook.c: tinyhook's main. Flags, the listener, worker threads, signals
 * and the certificate reload trigger; the offline subcommands `review`,
 * `test` and `manifests` run the same compiled policy without a server.
 *
 * Threads: the workers serve connections (src/server.c); this thread only
 * waits for signals and, once a second, checks whether the certificate
 * files changed. Signals are blocked everywhere but here (sigtimedwait), so
 * no handler ever runs inside a worker.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "json.h"
#include "log.h"
#include "offline.h"
#include "version.h"
#include "pool.h"
#include "limit.h"
#include "server.h"
#include "tls.h"

static const char usage_head[] =
"usage: tinyhook [flags]            serve admission and conversion webhooks over TLS\n"
"       tinyhook review [PATH|-]... review manifests offline with this policy (a CI gate)\n"
"       tinyhook test PATH...       run the policy's test files (policies/tests/)\n"
"       tinyhook manifests [...]    print the webhook configurations of this policy\n"
"\n"
"Endpoints: POST /validate /mutate (AdmissionReview v1), POST /convert\n"
"(ConversionReview v1), GET /healthz /readyz /metrics. Requests are logged as\n"
"JSON lines on stdout; errors go to stderr.\n"
"\n"
"flags (default in brackets):\n";

/* Every flag; adding one: a row here and a case in main_flag(). */
enum flag_id {
	F_LISTEN, F_CERT_DIR, F_TLS_CERT, F_TLS_KEY, F_CLIENT_CA, F_CLIENT_CN,
	F_PROBE_LISTEN, F_WORKERS, F_MAX_BODY,
	F_MAX_CONNS, F_MAX_BUFFER_BYTES, F_HEADER_TIMEOUT, F_BODY_TIMEOUT, F_IDLE_TIMEOUT,
	F_WRITE_TIMEOUT, F_SHUTDOWN_GRACE, F_LOG_LEVEL, F_HELP, F_VERSION,
	NUM_FLAGS
};

/* How a numeric default is printed in --help. */
enum flag_unit { U_TEXT, U_MS, U_BYTES, U_COUNT };

static const struct {
	const char	*name;
	const char	*arg;		/* NULL: takes no value */
	const char	*def;		/* U_TEXT: the default as text */
	const char	*help;
	enum flag_unit	 unit;		/* else: num is the default (limit.h) */
	long long	 num;
} flags[NUM_FLAGS] = {
	[F_LISTEN] = { "--listen", "ADDR", ":8443",
	    "address to serve on: host:port, :port or [v6]:port (in-cluster: :9443)" },
	[F_CERT_DIR] = { "--cert-dir", "DIR", "/etc/tinyhook/certs",
	    "directory with tls.crt and tls.key (a mounted kubernetes.io/tls Secret)" },
	[F_TLS_CERT] = { "--tls-cert", "FILE", "DIR/tls.crt",
	    "PEM certificate chain, leaf first (overrides --cert-dir)" },
	[F_TLS_KEY] = { "--tls-key", "FILE", "DIR/tls.key",
	    "PEM private key: EC P-256/P-384 or RSA, PKCS#8 or traditional" },
	[F_CLIENT_CA] = { "--client-ca", "FILE", "off",
	    "clients must present a certificate issued by one of these PEM CAs (reloaded like the pair)" },
	[F_CLIENT_CN] = { "--client-cn", "NAME", "any",
	    "with --client-ca: accept only this subject CN (repeatable)" },
	[F_PROBE_LISTEN] = { "--probe-listen", "ADDR", "off",
	    "second TLS listener without client certificates: /healthz /readyz /metrics only" },
	[F_WORKERS] = { "--workers", "N", "number of CPUs", "worker threads" },
	[F_MAX_BODY] = { "--max-body", "BYTES", NULL,
	    "largest request body (suffix Ki or Mi); larger gets 413" , U_BYTES, SERVER_MAX_BODY },
	[F_MAX_CONNS] = { "--max-conns", "N", NULL,
	    "open connections; beyond it new ones are closed at once" , U_COUNT, SERVER_MAX_CONNS },
	[F_MAX_BUFFER_BYTES] = { "--max-buffer-bytes", "BYTES", "half the cgroup memory limit, else 64Mi",
	    "all request and response buffers together; beyond it requests get 503" },
	[F_HEADER_TIMEOUT] = { "--header-timeout", "DUR", NULL,
	    "TLS handshake and request head must arrive within it (else 408)" , U_MS, SERVER_HEADER_TIMEOUT_MS },
	[F_BODY_TIMEOUT] = { "--body-timeout", "DUR", NULL,
	    "the request body must arrive within it (else 408)" , U_MS, SERVER_BODY_TIMEOUT_MS },
	[F_IDLE_TIMEOUT] = { "--idle-timeout", "DUR", NULL,
	    "idle keep-alive connections close after it; keep above the apiserver's 90s" , U_MS, SERVER_IDLE_TIMEOUT_MS },
	[F_WRITE_TIMEOUT] = { "--write-timeout", "DUR", NULL,
	    "a client must take the response within it" , U_MS, SERVER_WRITE_TIMEOUT_MS },
	[F_SHUTDOWN_GRACE] = { "--shutdown-grace", "DUR", NULL,
	    "on SIGTERM: finish requests in flight, exit within it" , U_MS, SERVER_SHUTDOWN_GRACE_MS },
	[F_LOG_LEVEL] = { "--log-level", "LEVEL", "info",
	    "error, warn, info (one line per request on stdout) or debug" },
	[F_HELP] = { "--help", NULL, "", "print this help and exit" },
	[F_VERSION] = { "--version", NULL, "", "print version and policy, and exit" },
};

struct opts {
	struct server_config	 srv;
	const char		*cert_dir, *tls_cert, *tls_key, *client_ca;
	const char		*client_cns[AUTH_MAX_CNS];
	int			 nclient_cns;
	int			 grace_ms;
};

/* " [default]" of flag i, numbers in the form the flag takes them. */
static void
print_default(FILE *f, int i)
{
	long long v = flags[i].num;

	switch (flags[i].unit) {
	case U_TEXT:
		if (flags[i].def[0])
			fprintf(f, " [%s]", flags[i].def);
		return;
	case U_MS:
		fprintf(f, v % 1000 ? " [%lldms]" : " [%llds]", v % 1000 ? v : v / 1000);
		return;
	case U_BYTES:
		if (v % (1 << 20) == 0)
			fprintf(f, " [%lldMi]", v >> 20);
		else if (v % 1024 == 0)
			fprintf(f, " [%lldKi]", v >> 10);
		else
			fprintf(f, " [%lld]", v);
		return;
	case U_COUNT:
		fprintf(f, " [%lld]", v);
		return;
	}
}

static void
usage(FILE *f)
{
	int i;

	fputs(usage_head, f);
	for (i = 0; i < NUM_FLAGS; i++) {
		char left[40];

		snprintf(left, sizeof(left), "%s%s%s", flags[i].name,
		    flags[i].arg ? " " : "", flags[i].arg ? flags[i].arg : "");
		fprintf(f, "  %-24s %s", left, flags[i].help);
		print_default(f, i);
		fputc('\n', f);
	}
	fputs("\nSignals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the certificate\n"
	    "and the client CA. Socket activation: a listening socket passed by systemd\n"
	    "(LISTEN_FDS, fd 3) replaces --listen; a second one (fd 4), --probe-listen.\n", f);
}

/*
 * Parses a duration: a number followed by ms, s, m or h (Go style), or a
 * bare number of seconds. Returns milliseconds, or -1 if malformed or over
 * a day.
 */
static long
parse_duration(const char *s)
{
	char *end;
	long v, mul;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -1;
	if (v > 86400000L / mul)
		return -1;
	return v * mul;
}

/* Parses a count with an optional Ki/Mi/K/M suffix; -1 if malformed. */
static long long
parse_size(const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	if (strcmp(end, "Ki") == 0 || strcmp(end, "K") == 0 || strcmp(end, "k") == 0)
		v = v > max / 1024 ? max + 1 : v * 1024;
	else if (strcmp(end, "Mi") == 0 || strcmp(end, "M") == 0)
		v = v > max / (1024 * 1024) ? max + 1 : v * 1024 * 1024;
	else if (*end != '\0')
		return -1;
	return v > max ? -1 : v;
}

/* Fails the start with a one-line reason. */
static int
bad_flag(const char *flag, const char *val, const char *why)
{
	fprintf(stderr, "tinyhook: %s%s%s: %s (see --help)\n", flag, val ? " " : "",
	    val ? val : "", why);
	return 2;
}

/* Applies one flag with its value. Returns 0, or an exit code. */
static int
main_flag(struct opts *o, int id, const char *v)
{
	long long n;
	long ms;

	switch (id) {
	case F_LISTEN:
	case F_PROBE_LISTEN:
		/* A malformed address is a usage error (2), one that cannot be
		 * bound a failure to start (1). */
		if (!server_addr_ok(v))
			return bad_flag(flags[id].name, v,
			    "expected IP:port, :port, [IPv6]:port or localhost:port");
		*(id == F_LISTEN ? &o->srv.listen : &o->srv.probe_listen) = v;
		return 0;
	case F_CERT_DIR: o->cert_dir = v; return 0;
	case F_TLS_CERT: o->tls_cert = v; return 0;
	case F_TLS_KEY: o->tls_key = v; return 0;
	case F_CLIENT_CA: o->client_ca = v; return 0;
	case F_CLIENT_CN:
		if (o->nclient_cns == AUTH_MAX_CNS || !v[0] || strlen(v) >= AUTH_CN_BYTES)
			return bad_flag(flags[id].name, v, o->nclient_cns == AUTH_MAX_CNS ?
			    "at most 16 names" : "expected a CN of 1 to 256 bytes");
		o->client_cns[o->nclient_cns++] = v;
		return 0;
	case F_WORKERS:
		if ((n = parse_size(v, 64)) < 1)
			return bad_flag(flags[id].name, v, "expected 1 to 64");
		o->srv.workers = (int)n;
		return 0;
	case F_MAX_BODY:
		if ((n = parse_size(v, 64ll << 20)) < 1024)
			return bad_flag(flags[id].name, v, "expected 1Ki to 64Mi");
		o->srv.conn.max_body = (size_t)n;
		return 0;
	case F_MAX_BUFFER_BYTES:
		if ((n = parse_size(v, 1ll << 40)) < (long long)POOL_BUDGET_MIN)
			return bad_flag(flags[id].name, v, "expected 1Mi or more (suffix Ki or Mi)");
		o->srv.max_buffer_bytes = (size_t)n;
		return 0;
	case F_MAX_CONNS:
		if ((n = parse_size(v, 1000000)) < 1)
			return bad_flag(flags[id].name, v, "expected 1 to 1000000");
		o->srv.max_conns = (int)n;
		return 0;
	case F_LOG_LEVEL:
		if ((log_level = log_parse_level(v)) < 0)
			return bad_flag(flags[id].name, v, "expected error, warn, info or debug");
		return 0;
	}
	if ((ms = parse_duration(v)) < 1)
		return bad_flag(flags[id].name, v, "expected a duration such as 500ms, 10s, 2m");
	switch (id) {
	case F_HEADER_TIMEOUT: o->srv.conn.header_timeout_ms = (int)ms; break;
	case F_BODY_TIMEOUT: o->srv.conn.body_timeout_ms = (int)ms; break;
	case F_IDLE_TIMEOUT: o->srv.conn.idle_timeout_ms = (int)ms; break;
	case F_WRITE_TIMEOUT: o->srv.conn.write_timeout_ms = (int)ms; break;
	case F_SHUTDOWN_GRACE: o->grace_ms = (int)ms; break;
	}
	return 0;
}

static void
print_version(void)
{
	printf("tinyhook %s policy %s (sha256 %s)\n", TINYHOOK_VERSION,
	    policy_name, policy_hash);
}

/* Parses argv into o. Returns -1 to go on, or an exit code. */
static int
parse_args(struct opts *o, int argc, char **argv)
{
	int i, id, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '='), *v;
		size_t n = eq ? (size_t)(eq - a) : strlen(a);

		for (id = 0; id < NUM_FLAGS; id++)
			if (strlen(flags[id].name) == n && strncmp(a, flags[id].name, n) == 0)
				break;
		if (strcmp(a, "-h") == 0)
			id = F_HELP;
		if (id == NUM_FLAGS && i == 1 && a[0] != '-') {
			fprintf(stderr, "tinyhook: %s: unknown command (commands: review, test, "
			    "manifests, help; see --help)\n", a);
			return 2;
		}
		if (id == NUM_FLAGS)
			return bad_flag(a, NULL, "unknown flag");
		if (id == F_HELP || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (id == F_VERSION) {
			print_version();
			return 0;
		}
		v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (v == NULL)
			return bad_flag(a, NULL, "needs a value");
		if ((rc = main_flag(o, id, v)) != 0)
			return rc;
	}
	if (o->nclient_cns > 0 && o->client_ca == NULL)
		return bad_flag(flags[F_CLIENT_CN].name, o->client_cns[0], "needs --client-ca");
	return -1;
}

static uint64_t
now_ms(void)
{
	return server_now_us() / 1000;
}

/*
 * Re-reads the certificate and the client CA if they changed (or always,
 * when forced), and logs it. New client CAs also empty the session cache:
 * a resumed session skips the client certificate.
 */
static void
main_reload(int force, char *err, size_t errlen)
{
	char desc[640];

	switch (tls_store_check(force, err, errlen)) {
	case 1:
		log_msg(LOG_INFO, "certificate reloaded%s", force ? " (SIGHUP)" : "");
		break;
	case -1:
		log_msg(LOG_ERROR, "certificate reload refused, keeping the old one: %s", err);
		break;
	}
	switch (auth_check(force, err, errlen)) {
	case 1:
		tls_cache_flush();
		auth_describe(desc, sizeof(desc));
		log_msg(LOG_INFO, "client CA reloaded%s: %s", force ? " (SIGHUP)" : "", desc);
		break;
	case -1:
		log_msg(LOG_ERROR, "client CA reload refused, keeping the old one: %s", err);
		break;
	}
}

/*
 * Waits for signals and reloads certificates until SIGTERM/SIGINT, then
 * drains: exits once no connection has been open for DRAIN_QUIET_MS (or,
 * after accepting stopped DRAIN_FINAL_MS before the deadline, as soon as
 * the last connection closed), and at the deadline at the latest.
 */
static int
main_loop(const struct opts *o, const sigset_t *set)
{
	struct timespec tick;
	uint64_t deadline = 0, last_accept = 0, quiet_since = 0, t;
	int sig, accepting = 1;
	char err[512];

	for (;;) {
		tick.tv_sec = deadline ? 0 : CERT_CHECK_MS / 1000;
		tick.tv_nsec = deadline ? 100 * 1000000L : (CERT_CHECK_MS % 1000) * 1000000L;
		sig = sigtimedwait(set, NULL, &tick);
		if ((sig == SIGTERM || sig == SIGINT) && !deadline) {
			log_msg(LOG_INFO, "%s: draining, exit within %d ms (%d connections open)",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT", o->grace_ms,
			    server_open_conns());
			server_drain();
			/*
			 * On a socket systemd holds, new connections wait in its
			 * backlog for the next process: stop taking them now, so
			 * the drain ends as soon as what is open has finished.
			 */
			if (server_inherited()) {
				server_stop_accepting();
				accepting = 0;
			}
			deadline = now_ms() + (uint64_t)o->grace_ms;
			last_accept = deadline - (o->grace_ms > 2 * DRAIN_FINAL_MS ?
			    DRAIN_FINAL_MS : (uint64_t)o->grace_ms / 2);
		}
		if (!deadline) {
			main_reload(sig == SIGHUP, err, sizeof(err));
			continue;
		}
		/*
		 * Draining: new connections are still served (the apiserver may
		 * route to us until the endpoint update reaches it) until
		 * last_accept; then only what is open finishes.
		 */
		t = now_ms();
		if (accepting && t >= last_accept) {
			server_stop_accepting();
			accepting = 0;
		}
		if (server_open_conns() > 0)
			quiet_since = 0;
		else if (!quiet_since)
			quiet_since = t;
		if ((quiet_since && (server_listener_closed() ||
		    (accepting && t - quiet_since >= DRAIN_QUIET_MS))) || t >= deadline)
			break;
	}
	log_msg(LOG_INFO, "exiting: %d connections still open", server_open_conns());
	server_stop();
	return 0;
}

/* Fills o with the defaults of the flags table. */
static void
default_opts(struct opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->srv.listen = flags[F_LISTEN].def;
	o->srv.workers = n < 1 ? 1 : n > 64 ? 64 : (int)n;
	/* The numbers --help prints are the ones used. */
	o->srv.conn.max_body = (size_t)flags[F_MAX_BODY].num;
	o->srv.max_conns = (int)flags[F_MAX_CONNS].num;
	o->srv.conn.header_timeout_ms = (int)flags[F_HEADER_TIMEOUT].num;
	o->srv.conn.body_timeout_ms = (int)flags[F_BODY_TIMEOUT].num;
	o->srv.conn.idle_timeout_ms = (int)flags[F_IDLE_TIMEOUT].num;
	o->srv.conn.write_timeout_ms = (int)flags[F_WRITE_TIMEOUT].num;
	o->srv.conn.log_requests = 1;
	o->cert_dir = flags[F_CERT_DIR].def;
	o->grace_ms = (int)flags[F_SHUTDOWN_GRACE].num;
}

int
main(int argc, char **argv)
{
	static struct opts o;
	char cert[PATH_BYTES], key[PATH_BYTES], err[512], desc[640] = "";
	sigset_t set;
	int rc;

	if (argc > 1 && strcmp(argv[1], "review") == 0)
		return review_cli(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "test") == 0)
		return gate_cli(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "manifests") == 0)
		return manifests_cli(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	default_opts(&o);
	if ((rc = parse_args(&o, argc, argv)) >= 0)
		return rc;
	snprintf(cert, sizeof(cert), "%s/tls.crt", o.cert_dir);
	snprintf(key, sizeof(key), "%s/tls.key", o.cert_dir);
	/*
	 * The signals are blocked before the port opens: a SIGTERM sent as
	 * soon as the port answers (a supervisor, a test) waits for main_loop
	 * and drains, instead of killing the process with its default action.
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/*
	 * Listen first: a client connecting while the certificate loads waits
	 * in the backlog instead of being refused and backing off. If the
	 * certificate is bad we exit and those connections are reset.
	 */
	if (server_listen(&o.srv, err, sizeof(err)) < 0 ||
	    tls_store_init(o.tls_cert ? o.tls_cert : cert, o.tls_key ? o.tls_key : key,
	    err, sizeof(err)) < 0 ||
	    (o.client_ca && auth_init(o.client_ca, o.client_cns, o.nclient_cns,
	    err, sizeof(err)) < 0)) {
		fprintf(stderr, "tinyhook: %s\n", err);
		return 1;
	}
	pool_budget_set(o.srv.max_buffer_bytes ? o.srv.max_buffer_bytes : pool_budget_auto());
	if (pool_budget() < 2 * o.srv.conn.max_body)
		log_msg(LOG_WARN, "--max-buffer-bytes %zu holds fewer than two --max-body %zu requests",
		    pool_budget(), o.srv.conn.max_body);
	json_store_hook = pool_account;
	if (server_start(&o.srv) < 0)
		return 1;
	log_msg(LOG_INFO, "tinyhook %s serving policy %s (%s) on %s%s with %d worker%s, "
	    "buffer budget %zu bytes, certificate %s",
	    TINYHOOK_VERSION, policy_name, policy_hash, server_address(0),
	    server_inherited() ? " (socket from systemd)" : "", o.srv.workers,
	    o.srv.workers == 1 ? "" : "s", pool_budget(), o.tls_cert ? o.tls_cert : cert);
	if (server_address(1))
		log_msg(LOG_INFO, "probe listener on %s: /healthz /readyz /metrics, "
		    "no client certificate", server_address(1));
	if (auth_enabled()) {
		auth_describe(desc, sizeof(desc));
		log_msg(LOG_INFO, "client certificates required: %s", desc);
	}
	return main_loop(&o, &set);
}
