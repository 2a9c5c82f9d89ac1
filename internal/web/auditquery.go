package web

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// Page sizes of GET /api/audit.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// auditQuery is a parsed audit request: the filter, and for exports the
// format.
type auditQuery struct {
	filter store.AuditFilter
	format audit.Format
	given  url.Values // the filter parameters as sent, for the audit entry
}

// filterParams are accepted by both endpoints; pageParams by the list and
// format by the export. Anything else is refused, like unknown JSON fields.
var (
	filterParams = []string{"since", "until", "action", "actor", "target", "meeting", "outcome"}
	pageParams   = []string{"limit", "offset", "order"}
)

func parseAuditQuery(v url.Values, list bool) (auditQuery, error) {
	q := auditQuery{given: url.Values{}}
	if err := checkParams(v, list); err != nil {
		return q, err
	}
	for _, p := range filterParams {
		if x := v.Get(p); x != "" {
			q.given.Set(p, x)
		}
	}
	var err error
	if q.filter, err = parseFilter(v); err != nil {
		return q, err
	}
	if list {
		err = parsePage(v, &q.filter)
	} else {
		q.format, err = audit.ParseFormat(v.Get("format"))
	}
	return q, err
}

func checkParams(v url.Values, list bool) error {
	allowed := map[string]bool{}
	for _, p := range filterParams {
		allowed[p] = true
	}
	extra := []string{"format"}
	if list {
		extra = pageParams
	}
	for _, p := range extra {
		allowed[p] = true
	}
	for p, vals := range v {
		if !allowed[p] {
			return fmt.Errorf("unknown parameter %q", p)
		}
		if len(vals) > 1 {
			return fmt.Errorf("parameter %q given more than once", p)
		}
	}
	return nil
}

func parseFilter(v url.Values) (store.AuditFilter, error) {
	var f store.AuditFilter
	var err error
	if f.Since, err = parseTime(v, "since"); err != nil {
		return f, err
	}
	if f.Until, err = parseTime(v, "until"); err != nil {
		return f, err
	}
	f.Action, f.Outcome = v.Get("action"), v.Get("outcome")
	f.Actor, f.Target, f.Meeting = v.Get("actor"), v.Get("target"), v.Get("meeting")
	switch {
	case f.Action != "" && !audit.Action(f.Action).Valid():
		return f, errors.New("action is not a known audit action")
	case f.Outcome != "" && !audit.Outcome(f.Outcome).Valid():
		return f, errors.New("outcome must be success, failure or denied")
	case f.Actor != "" && !audit.ValidSubject(f.Actor):
		return f, errors.New("actor must be a subject ID (u_xxx, p_xxx)")
	case f.Target != "" && !audit.ValidSubject(f.Target):
		return f, errors.New("target must be a subject ID (u_xxx, p_xxx)")
	case f.Meeting != "" && !audit.ValidMeetingID(f.Meeting):
		return f, errors.New("meeting is not a meeting ID")
	}
	return f, nil
}

func parseTime(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s must be an RFC 3339 time such as 2025-06-01T00:00:00Z", name)
	}
	return t, nil
}

func parsePage(v url.Values, f *store.AuditFilter) error {
	f.Limit, f.Newest = defaultAuditLimit, true
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxAuditLimit {
			return fmt.Errorf("limit must be 1 to %d", maxAuditLimit)
		}
		f.Limit = n
	}
	if s := v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return errors.New("offset must be a non-negative integer")
		}
		f.Offset = n
	}
	switch v.Get("order") {
	case "", "newest":
	case "oldest":
		f.Newest = false
	default:
		return errors.New("order must be newest or oldest")
	}
	return nil
}

// details describe the request in the audit entry: the filters as given
// (subject IDs, actions, times: validated above, nothing personal) and, for
// exports, the format.
func (q auditQuery) details() map[string]string {
	d := map[string]string{}
	for p := range q.given {
		d["filter."+p] = q.given.Get(p)
	}
	if q.format != "" {
		d["format"] = string(q.format)
	}
	return d
}
