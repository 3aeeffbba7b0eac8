-- wrk script for bench/registration_rush.py: every request registers the next volunteer (one
-- bearer token a line in the file named by RUSH_TOKENS) for the activity at RUSH_PATH.
-- Each wrk thread has its own Lua state, so each takes its own slice of the tokens (RUSH_THREADS
-- must equal wrk's -t). A thread sends exactly its slice: once every token is sent, delay()
-- parks the connections that come back idle, and when the slice's last response arrives the
-- thread stops and drops a marker file in RUSH_DONE_DIR (wrk's main thread sleeps for the whole
-- -d duration, so the driver interrupts it with SIGINT once every thread is done). Response
-- status codes and the API's error `code`s are counted; the first-request and last-response
-- times (CLOCK_MONOTONIC, via LuaJIT's ffi) give the throughput. done() prints one JSON line.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } rush_timespec;
  int clock_gettime(int clk_id, rush_timespec *tp);
]]
local ts = ffi.new("rush_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local all = {}
  for line in io.lines(os.getenv("RUSH_TOKENS")) do
    if #line > 0 then
      all[#all + 1] = line
    end
  end
  local nthreads = tonumber(os.getenv("RUSH_THREADS"))
  local per = math.floor(#all / nthreads)
  local extra = #all % nthreads
  local first = id * per + math.min(id, extra) + 1
  local count = per + ((id < extra) and 1 or 0)
  tokens = {}
  for i = first, first + count - 1 do
    tokens[#tokens + 1] = all[i]
  end
  path = os.getenv("RUSH_PATH")
  done_dir = os.getenv("RUSH_DONE_DIR")
  sent = 0
  reserved = 0
  received = 0
  statuses = {}
  codes = {}
  started_us = 0
  finished_us = 0
end

function delay()
  -- wrk asks before each request. 0: send now (and reserve a token, so that two connections
  -- cannot both take the last one). Past the slice: park the connection (for a day; the thread
  -- stops long before).
  if reserved < #tokens then
    reserved = reserved + 1
    return 0
  end
  return 86400000
end

function request()
  sent = sent + 1
  if started_us == 0 then
    started_us = now_us()
  end
  local token = tokens[sent] or tokens[#tokens]
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, '{"share_consent": true}')  -- the organiser may see the registration (issue #16 §1)
end

function response(status, headers, body)
  received = received + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 400 then
    local code = body and string.match(body, '"code"%s*:%s*"([^"]+)"') or "no_code"
    codes[code] = (codes[code] or 0) + 1
  end
  if received >= #tokens then
    finished_us = now_us()
    local marker = io.open(done_dir .. "/" .. id, "w")
    if marker then
      marker:write("done")
      marker:close()
    end
    wrk.thread:stop()
  end
end

local function json_counts(t)
  local parts = {}
  for k, v in pairs(t) do
    parts[#parts + 1] = string.format('"%s": %d', k, v)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local all_statuses, all_codes = {}, {}
  local first, last, sent_total = nil, 0, 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses") or {}) do
      all_statuses[k] = (all_statuses[k] or 0) + v
    end
    for k, v in pairs(thread:get("codes") or {}) do
      all_codes[k] = (all_codes[k] or 0) + v
    end
    local s, f = thread:get("started_us"), thread:get("finished_us")
    if s and s > 0 and (first == nil or s < first) then first = s end
    if f and f > last then last = f end
    sent_total = sent_total + (thread:get("sent") or 0)
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "sent": %d, "span_us": %d, "statuses": %s, "codes": %s, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}\n',
    summary.requests, sent_total, last - (first or last), json_counts(all_statuses),
    json_counts(all_codes),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
