package privacy

import (
	"context"
	"errors"
	"testing"
	"time"
)

type fakeKind struct{ d Declaration }

func (f fakeKind) Declare() Declaration                          { return f.d }
func (fakeKind) Export(context.Context, Subject) ([]Item, error) { return nil, nil }
func (fakeKind) Erase(context.Context, Subject) (Erased, error)  { return Erased{}, nil }
func (fakeKind) Expire(context.Context, time.Time) (int, error)  { return 0, nil }

func complete(name string) Declaration {
	return Declaration{Name: name, Category: CatAccount, Description: "d", Purpose: "p",
		LegalBasis: Contract, Storage: "table x", Fields: []string{"a"}}
}

func TestRegisterRefusesIncompleteDeclarations(t *testing.T) {
	r := NewRegistry()
	d := complete("x")
	d.LegalBasis = ""
	if err := r.Register(fakeKind{d}); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("missing legal basis: %v", err)
	}
	d = complete("y")
	d.Fields = nil
	if err := r.Register(fakeKind{d}); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("missing fields: %v", err)
	}
	if err := r.Register(fakeKind{complete("b")}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(fakeKind{complete("a")}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(fakeKind{complete("a")}); err == nil {
		t.Fatal("duplicate kind accepted")
	}
	ks := r.Kinds()
	if len(ks) != 2 || ks[0].Declare().Name != "a" {
		t.Fatalf("kinds %v", ks)
	}
}
