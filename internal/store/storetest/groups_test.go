package storetest

import "testing"

// TestGroupsDisjoint: every test belongs to one group, so that Run, which
// runs the union, runs each once and RunSome names each unambiguously.
func TestGroupsDisjoint(t *testing.T) {
	seen := map[string]string{}
	for g, tests := range groups {
		for name := range tests {
			if other, ok := seen[name]; ok {
				t.Errorf("test %s is in groups %s and %s", name, other, g)
			}
			seen[name] = g
			if _, ok := groups[name]; ok {
				t.Errorf("test %s has a group's name", name)
			}
		}
	}
	for _, name := range []string{"UserRoundTrip", "AuditConcurrentAppends", "SessionReplace"} {
		if _, ok := findTest(name); !ok {
			t.Errorf("findTest(%s) found nothing", name)
		}
	}
}
