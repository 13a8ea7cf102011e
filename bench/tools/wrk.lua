-- wrk script for bench/serving.sh.  BODY_FILE set and non-empty: POST its
-- bytes as CONTENT_TYPE (default text/csv); else GET.  The done hook prints one WRKSUM line in the
-- same form as ../shared/peers/05-serving.sh, so both parse alike.
local body_file = os.getenv("BODY_FILE")
if body_file and body_file ~= "" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "text/csv"
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKSUM requests=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
