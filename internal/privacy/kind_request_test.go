package privacy

import (
	"context"
	"testing"
	"time"
)

// TestSubjectRequestKind: export returns the requests recorded under the
// subject's ID (not others', not free-text ones), erasure keeps them and
// says so, and expiry deletes only those closed before the cut-off.
func TestSubjectRequestKind(t *testing.T) {
	ctx := context.Background()
	now := day(2025, 3, 1)
	reqs := newRequests(t, &now)
	k := SubjectRequestKind{Store: reqs.Store.(SubjectRequestStore)}
	mine, err := reqs.Create(ctx, NewRequest{Kind: "access", SubjectRef: "u_alice", Notes: "by e-mail"})
	must(t, err)
	_, err = reqs.Create(ctx, NewRequest{Kind: "erasure", SubjectRef: "u_bob"})
	must(t, err)
	_, err = reqs.Create(ctx, NewRequest{Kind: "access", SubjectRef: "Alice, by letter"})
	must(t, err)

	items, err := k.Export(ctx, Subject{ID: "u_alice"})
	must(t, err)
	if len(items) != 1 {
		t.Fatalf("export: %d items, want 1", len(items))
	}
	if rec := items[0].Record.(subjectRequestRecord); rec.ID != mine.ID || rec.Notes != "by e-mail" {
		t.Fatalf("exported %+v", rec)
	}

	er, err := k.Erase(ctx, Subject{ID: "u_alice"})
	must(t, err)
	if er.Deleted != 0 || er.Shredded != 0 || er.Pseudonymous != 1 || er.Note == "" {
		t.Fatalf("erase: %+v, want kept with a note", er)
	}
	if items, _ := k.Export(ctx, Subject{ID: "u_alice"}); len(items) != 1 {
		t.Fatal("erasure removed the request")
	}

	_, err = reqs.Close(ctx, mine.ID, "done", "")
	must(t, err)
	if n, err := k.Expire(ctx, now); err != nil || n != 0 {
		t.Fatalf("expire at the closing time: %d %v, want 0", n, err)
	}
	if n, err := k.Expire(ctx, now.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("expire after closing: %d %v, want 1", n, err)
	}
	if items, _ := k.Export(ctx, Subject{ID: "u_alice"}); len(items) != 0 {
		t.Fatalf("expired request still exported: %+v", items)
	}
	left, err := reqs.List(ctx, false)
	if err != nil || len(left) != 2 {
		t.Fatalf("open requests must not expire: %+v %v", left, err)
	}
}
