-- mixed.lua: wrk script for the soak. Each request is the next of a fixed
-- rotation of (path, payload) pairs (mixed.cases), so every payload kind and
-- both admission paths run all the time. Every answer is read: it must be
-- 200 and byte for byte one of the answers soak.py recorded for the
-- rotation on a quiet server first ($EXPECTED/<n>.json); a body that is
-- not (another request's uid, a cut or mixed-up body) counts as badbody.
local cases = {}
local reqs = {}
local threads = {}
local n = 0
local answers = {}
bad = 0      -- globals: done() reads them from each thread with t:get()
badbody = 0
checked = 0

function setup(thread)
  table.insert(threads, thread)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- Built in init, not at load time: wrk.format adds the Host header from
-- wrk.host, which is only set once the thread exists.
function init(args)
  local dir = assert(os.getenv("PAYLOADS"), "PAYLOADS not set")
  local exp = assert(os.getenv("EXPECTED"), "EXPECTED not set")
  local list = assert(os.getenv("CASES"), "CASES not set")
  for line in io.lines(list) do
    local path, name = line:match("^(/%S+)%s+(%S+)$")
    if path then table.insert(cases, {path, name}) end
  end
  for i, c in ipairs(cases) do
    reqs[i] = wrk.format("POST", c[1] .. "?timeout=10s",
      {["Content-Type"] = "application/json", ["Accept"] = "application/json, */*"},
      slurp(dir .. "/" .. c[2] .. ".json"))
    answers[slurp(exp .. "/" .. i .. ".json")] = true
  end
  n = math.random(#reqs)
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  elseif not answers[body] then
    badbody = badbody + 1
  end
  checked = checked + 1
end

function done(summary, latency, requests)
  local nb, nbb, nc = 0, 0, 0
  for _, t in ipairs(threads) do
    nb = nb + t:get("bad")
    nbb = nbb + t:get("badbody")
    nc = nc + t:get("checked")
  end
  io.write(string.format("SOAK requests=%d non200=%d badbody=%d checked=%d connect=%d read=%d write=%d timeout=%d status=%d p50us=%d p99us=%d\n",
    summary.requests, nb, nbb, nc, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(99)))
end
