-- bench/load.lua: the shared load.lua ($BENCH_SHARED_LUA, run as is: POST
-- body, per-thread count cap, non-200 and server-close counting, its RESULT
-- line), plus one line with the tail it does not print:
--   TAIL p999_ms=X max_ms=Y
-- wrk keeps a 1 us resolution histogram, so p99.9 is exact to the microsecond.
dofile(assert(os.getenv("BENCH_SHARED_LUA"), "BENCH_SHARED_LUA not set"))

local shared_done = done

function done(summary, latency, requests)
  shared_done(summary, latency, requests)
  io.write(string.format("TAIL p999_ms=%.3f max_ms=%.3f\n",
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
