-- wrk: every request from the next user, with that user's own page.
-- The file named by BENCH_USERS has one "cookie<TAB>path" line per user;
-- thread n of 2 takes every second user from the n-th, so none repeats a user.
local users = {}
local index = 0
local counter = 0

setup = function(thread)
  counter = counter + 1
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

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p95_ms": %.2f, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, errors))
end
