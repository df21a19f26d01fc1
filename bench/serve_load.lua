-- wrk script for bench/serve_load.sh: POSTs the file named by $BODY with the
-- content type $CTYPE, and prints one machine-readable RESULT line at the end.
local f = assert(io.open(os.getenv("BODY"), "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = os.getenv("CTYPE") or "application/json"
if os.getenv("TOKEN") and os.getenv("TOKEN") ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
