"""tlsconn.py: what the connection benches (busy_conns.py, idle_conns.py) share.

Both open --conns TLS connections to a webhook at --url, POST --payload on
them and read the server's (--pid) memory: the same four flags, the same
descriptor limit raised for that many sockets, the same client context.
Imported by path: the benches run as scripts from bench/, so this file sits
beside them on sys.path.
"""
import resource
import ssl


def add_target_args(ap):
    """Adds --url, --payload, --pid and --conns (default 256) to the argparse
    parser ap, in that order (the order --help lists them in)."""
    ap.add_argument("--url", required=True)
    ap.add_argument("--payload", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--conns", type=int, default=256)


def raise_nofile(need):
    """Raises the soft RLIMIT_NOFILE to need descriptors, capped at the hard
    limit; never lowers it (an unlimited or larger soft limit stays)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def client_context(alpn=None):
    """A client TLS context that checks neither certificate nor host name (the
    benches' servers use throwaway certificates); offers the ALPN protocols
    in the list alpn when given (the apiserver offers ["http/1.1"])."""
    ctx = ssl._create_unverified_context()
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx
