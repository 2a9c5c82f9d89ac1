package storetest

import (
	"maps"
	"slices"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// coreTests cover accounts, the first administrator and basic sessions.
var coreTests = map[string]func(*testing.T, store.Store){
	"UserRoundTrip":         testUserRoundTrip,
	"UserConflicts":         testUserConflicts,
	"UserNotFound":          testUserNotFound,
	"UserEveryRole":         testUserEveryRole,
	"CountUsers":            testCountUsers,
	"FirstAdminHappyPath":   testFirstAdminHappyPath,
	"FirstAdminRefusals":    testFirstAdminRefusals,
	"FirstAdminRace":        testFirstAdminRace,
	"ReplaceSetupToken":     testReplaceSetupToken,
	"SessionRoundTrip":      testSessionRoundTrip,
	"SessionUnknownUser":    testSessionUnknownUser,
	"DeleteExpiredSessions": testDeleteExpiredSessions,
}

// groups are the conformance tests by area; Run runs them all.
var groups = map[string]map[string]func(*testing.T, store.Store){
	"core":         coreTests,
	"meetings":     meetingTests,
	"audit":        auditTests,
	"retention":    retentionTests,
	"consent":      consentTests,
	"consentaudit": consentAuditTests,
	"rights":       rightsTests,
	"chat":         chatTests,
	"files":        fileTests,
	"transcripts":  transcriptTests,
	"recordings":   recordingTests,
	"credentials":  credentialTests,
	"sessions":     sessionTests,
	"keys":         keyTests,
}

// Groups lists the names RunSome accepts for whole areas.
func Groups() []string { return slices.Sorted(maps.Keys(groups)) }

// RunSome runs the named conformance tests against stores from open, for a
// backend that implements only part of store.Store so far. A name is a
// group (see Groups) or a single test ("UserRoundTrip"); an unknown name
// fails the test. The store open returns must still be a store.Store: a
// backend under construction can embed a nil store.Store below its own
// methods, so that a test reaching an unimplemented method panics.
func RunSome(t *testing.T, open Opener, names ...string) {
	tests := map[string]func(*testing.T, store.Store){}
	for _, name := range names {
		if g, ok := groups[name]; ok {
			maps.Copy(tests, g)
			continue
		}
		fn, ok := findTest(name)
		if !ok {
			t.Fatalf("storetest: no group or test named %q", name)
		}
		tests[name] = fn
	}
	runTests(t, open, tests)
}

func findTest(name string) (func(*testing.T, store.Store), bool) {
	for _, g := range groups {
		if fn, ok := g[name]; ok {
			return fn, true
		}
	}
	return nil, false
}
