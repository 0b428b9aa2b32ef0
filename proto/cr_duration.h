/*  =========================================================================
    cr_duration - Go-style durations ("40s", "5m", "1h30m", "500ms")

    Kubernetes components take their periods and timeouts as Go
    time.Duration flags; corral-controllers accepts the same text.
    =========================================================================
*/
#ifndef CR_DURATION_H_INCLUDED
#define CR_DURATION_H_INCLUDED

//  Parses a duration as Go's time.ParseDuration does: an optional sign,
//  then one or more decimal numbers (fraction allowed: "1.5h", ".5s")
//  each followed by a unit (ns, us, µs, μs, ms, s, m, h); "0" alone is
//  zero. Stores nanoseconds in *ns. Returns 0, or -1 if text is not a
//  duration or does not fit in 64 bits of nanoseconds (~292 years).
int
    cr_duration_parse (const char *text, int64_t *ns);

//  Like cr_duration_parse, in whole milliseconds (sub-millisecond parts
//  are dropped), and only for durations >= 0. Returns 0 or -1.
int
    cr_duration_parse_ms (const char *text, int64_t *ms);

//  Renders milliseconds as Go's Duration.String() does ("40s", "5m0s",
//  "1h30m0s", "1.5s", "500ms", "0s") into buf. Returns buf.
const char *
    cr_duration_format_ms (int64_t ms, char *buf, size_t size);

#endif
