package fetch

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseContentRange parses a 206 response's `Content-Range: bytes first-last/total`. total is
// -1 when the server sends `*`. Anything else, including a range that is inverted or that
// does not fit in total, is an error: a response we cannot place is not used.
func ParseContentRange(s string) (first, last, total int64, err error) {
	bad := func() (int64, int64, int64, error) {
		return 0, 0, 0, fmt.Errorf("%w: Content-Range %q", ErrBadResponse, s)
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !ok {
		return bad()
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return bad()
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return bad()
	}
	if first, err = parseDecimal(a); err != nil {
		return bad()
	}
	if last, err = parseDecimal(b); err != nil {
		return bad()
	}
	total = -1
	if tot != "*" {
		if total, err = parseDecimal(tot); err != nil {
			return bad()
		}
	}
	if last < first || (total >= 0 && last >= total) {
		return bad()
	}
	return first, last, total, nil
}

// parseDecimal accepts only plain digits: no sign, no spaces, no hex.
func parseDecimal(s string) (int64, error) {
	if s == "" || len(s) > 19 {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
