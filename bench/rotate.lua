-- wrk: every request from the next user, with that user's own page.
-- The file named by BENCH_USERS has one "cookie<TAB>path" line per user;
-- thread n of 2 takes every second user from the n-th, so none repeats a user.
local users = {}
local index = 0
local counter = 0
threads = {}

setup = function(thread)
  counter = counter + 1
  threads[#threads + 1] = thread
  thread:set("offset", counter)
end

init = function(args)
  for line in io.lines(os.getenv("BENCH_USERS")) do
    local cookie, path = line:match("([^\t]+)\t([^\t]+)")
    users[#users + 1] = {cookie, path}
  end
  index = tonumber(offset) or 1
end

request = function()
  index = index + 2
  local user = users[(index % #users) + 1]
  return wrk.format("GET", user[2], {
    ["Cookie"] = user[1], ["X-Forwarded-Proto"] = "https"})
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
