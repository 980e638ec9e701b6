-- Contributions through the API: each wrk thread posts for one target MHA (BENCH_TARGETS, a JSON
-- list of {"association", "payer"}), every request with a new Idempotency-Key.
local targets_json = os.getenv("BENCH_TARGETS")
local entry_date = os.getenv("BENCH_DATE")
local targets = {}
for association, payer in string.gmatch(targets_json, '"association": (%d+), "payer": (%d+)') do
  table.insert(targets, {association = association, payer = payer})
end
local next_thread = 0

setup = function(thread)
  next_thread = next_thread + 1
  local target = targets[(next_thread - 1) % #targets + 1]
  thread:set("association", target.association)
  thread:set("payer", target.payer)
  thread:set("thread_id", next_thread)
end

local counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d-%d-%d", os.time(), thread_id, counter,
                                                 math.random(1, 1000000000))
  local body = string.format('{"kind": "contribution", "association": %s, "payer": %s, "amount": "500", ' ..
                             '"currency": "RUB", "entry_date": "%s", "channel": "mto"}', association, payer, entry_date)
  return wrk.format("POST", nil, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %.2f, "entries_per_second": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
    '"non_2xx_3xx": %d}\n',
    summary.requests, summary.duration / 1e6, (summary.requests - summary.errors.status) / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.errors.status))
end
