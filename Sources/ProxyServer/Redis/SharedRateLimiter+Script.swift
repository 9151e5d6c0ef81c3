extension SharedRateLimiter {
    /// GCRA for one bucket, run inside Redis: the arithmetic of `RateLimiter.take`, in
    /// microseconds, on Redis's own clock (`TIME`), so instances whose clocks disagree still
    /// share one notion of "now".
    ///
    /// `KEYS[1]` is the bucket; `ARGV[1]` the emission interval (µs per token), `ARGV[2]` the
    /// tolerance (burst × interval, µs). The bucket's value is its theoretical arrival time
    /// (µs since the epoch, written as an integer: `tostring` would round it to 14 digits),
    /// kept only until the bucket is full again (`PX`), so an idle key disappears.
    ///
    /// Returns `{allowed (1 or 0), remaining, reset (µs until full), retry after (µs)}`.
    static let script = """
        if redis.replicate_commands then redis.replicate_commands() end
        local interval = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
        local arrival = tonumber(redis.call('GET', KEYS[1])) or 0
        local nextArrival = math.max(arrival, now) + interval
        local ahead = nextArrival - now
        if ahead > tolerance then
          local reset = 0
          if arrival > now then reset = arrival - now end
          return {0, 0, reset, ahead - tolerance}
        end
        local ttl = math.ceil(ahead / 1000)
        redis.call('SET', KEYS[1], string.format('%.0f', nextArrival), 'PX', string.format('%.0f', ttl))
        return {1, math.floor((tolerance - ahead) / interval), ahead, 0}
        """
}
