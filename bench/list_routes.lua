-- wrk script for bench/list_routes.py: sends the bearer token given as the first argument and,
-- when the run is done, prints one JSON line (prefixed "result ") with requests, errors and
-- latency percentiles in microseconds; non-2xx answers count as errors (wrk calls them "status").
local token = nil

function init(args)
  token = args[1]
end

function request()
  local headers = { Accept = "application/json" }
  if token then
    headers["Authorization"] = "Bearer " .. token
  end
  return wrk.format("GET", nil, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'result {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
