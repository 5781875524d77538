-- wrk report: one JSON line with requests/s, p95 latency and errors by kind.
threads = {}

setup = function(thread)
  threads[#threads + 1] = thread
end

-- Statuses >= 400 are counted per thread and gathered in done (bench/errors.py
-- turns them and wrk's connect/read/write/timeout counts into kinds).
statuses = {}

response = function(status, headers, body)
  if status >= 400 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local seen = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(seen) do
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p95_ms": %.2f, "errors": %d, '
    .. '"wrk_errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, errors,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
