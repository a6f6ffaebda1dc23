-- mixed.lua: wrk script for the soak. Each request is the next of a fixed
-- rotation of (path, payload) pairs, so every payload kind and both
-- admission paths run all the time. Counts non-200 answers per thread.
local cases = {
  {"/validate", "pod-small-create"}, {"/mutate", "pod-small-create"},
  {"/validate", "pod-large-create"}, {"/mutate", "pod-large-create"},
  {"/validate", "deployment-create"}, {"/mutate", "pod-update"},
  {"/validate", "pod-delete"}, {"/mutate", "pod-delete"},
  {"/convert", "conversion-1"}, {"/convert", "conversion-100"},
}
local reqs = {}
local threads = {}
local n = 0
bad = 0  -- global: done() reads it from each thread with t:get("bad")

function setup(thread)
  table.insert(threads, thread)
end

-- Built in init, not at load time: wrk.format adds the Host header from
-- wrk.host, which is only set once the thread exists.
function init(args)
  local dir = os.getenv("PAYLOADS")
  for i, c in ipairs(cases) do
    local f = assert(io.open(dir .. "/" .. c[2] .. ".json", "rb"))
    local body = f:read("*a")
    f:close()
    reqs[i] = wrk.format("POST", c[1] .. "?timeout=10s",
      {["Content-Type"] = "application/json", ["Accept"] = "application/json, */*"}, body)
  end
  n = math.random(#reqs)
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("SOAK requests=%d non200=%d connect=%d read=%d write=%d timeout=%d status=%d p50us=%d p99us=%d\n",
    summary.requests, total, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(99)))
end
