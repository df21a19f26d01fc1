-- wrk script for examples/haproxy/roll_test.py: POSTs the case in $BODY to
-- /v1/decide and checks every answer. An answer is good when its status is
-- 200 and its body is, byte for byte, one of the two expected records ($EXPECT_A,
-- $EXPECT_B: `insource decide --format json` under the old and the new rules,
-- without the closing brace) followed by a decision_id and a 64-hex
-- rules_revision. done() prints one RESULT line with wrk's own counts and
-- latency percentiles, the good and bad answers, the first bad one, and how
-- many good answers came with each (record, revision) pair.
local function slurp(name)
  local f = assert(io.open(os.getenv(name), "rb"))
  local s = f:read("*a")
  f:close()
  return (s:gsub("%s+$", ""))
end

wrk.method = "POST"
wrk.body = slurp("BODY")
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expect = {A = slurp("EXPECT_A"):sub(1, -2), B = slurp("EXPECT_B"):sub(1, -2)}
  good, bad, first_bad, pairs_seen = 0, 0, "", {}
end

local function classify(body)
  for name, prefix in pairs(expect) do
    if body:sub(1, #prefix) == prefix then
      local rest = body:sub(#prefix + 1)
      local rev = rest:match('^,"decision_id":"[%x]+%-%d+","rules_revision":"(%x+)"}$')
      if rev and #rev == 64 then return name .. ":" .. rev end
    end
  end
  return nil
end

function response(status, headers, body)
  local key = status == 200 and classify(body) or nil
  if key then
    good = good + 1
    pairs_seen[key] = (pairs_seen[key] or 0) + 1
  else
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. body:sub(1, 300):gsub("%s", " ") end
  end
end

function done(summary, latency, requests)
  local g, b, fb, seen = 0, 0, "", {}
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    b = b + t:get("bad")
    if fb == "" then fb = t:get("first_bad") end
    for k, n in pairs(t:get("pairs_seen")) do seen[k] = (seen[k] or 0) + n end
  end
  local parts = {}
  for k, n in pairs(seen) do table.insert(parts, k .. "=" .. n) end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d good=%d bad=%d seen=%s\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    g, b, table.concat(parts, ",")))
  if fb ~= "" then io.write("FIRST_BAD " .. fb .. "\n") end
end
