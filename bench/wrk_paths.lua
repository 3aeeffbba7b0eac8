-- wrk script for bench/discovery.py: every connection walks a pre-generated list of request
-- paths (one a line, in the file named by WRK_PATHS), each thread from its own offset, and
-- done() prints one JSON line with the latency percentiles (microseconds) and the counts.

local paths = {}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  -- WRK_OFFSET (optional): how far apart the threads start, e.g. #paths / threads so that no
  -- path is asked twice in a run (bench/verification.py: every request a cache miss).
  position = (id * (tonumber(os.getenv("WRK_OFFSET") or "") or 7919)) % #paths
  non2xx = 0
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position], { ["Accept"] = "application/json" })
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, bad,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
