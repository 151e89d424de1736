package owners

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
	acctC = "777788889999"
)

func TestSetUnionAndVersion(t *testing.T) {
	s := New([]string{acctA})
	if got := s.IDs(); !slices.Equal(got, []string{acctA}) {
		t.Fatalf("IDs = %v", got)
	}
	v := s.Version()
	// A second origin of the same account changes nothing.
	if s.Set(Origin{FromNamespace, "team-a"}, []string{acctA}) || s.Version() != v {
		t.Fatal("the same account from another origin changed the set")
	}
	if !s.Set(Origin{FromNamespace, "team-b"}, []string{acctB}) || s.Version() == v {
		t.Fatal("a new account did not change the set")
	}
	if got := s.IDs(); !slices.Equal(got, []string{acctA, acctB}) {
		t.Fatalf("IDs = %v", got)
	}
	// The namespace loses its annotation: its account goes, unless
	// another origin still names it.
	if !s.Set(Origin{FromNamespace, "team-b"}, nil) {
		t.Fatal("forgetting the only origin of an account did not change the set")
	}
	if s.Set(Origin{FromNamespace, "team-a"}, nil) {
		t.Fatal("the flag still names acctA: the set must not change")
	}
	if got := s.IDs(); !slices.Equal(got, []string{acctA}) {
		t.Fatalf("IDs = %v", got)
	}
}

func TestSetIgnoresValuesThatAreNotAccounts(t *testing.T) {
	s := New(nil)
	vals := []string{"", "12345", "arn:aws:iam::111122223333:root", " " + acctC + " ", "1111222233334"}
	if !s.Set(Origin{FromNamespace, "x"}, vals) {
		t.Fatal("the valid account was not taken")
	}
	if got := s.IDs(); !slices.Equal(got, []string{acctC}) {
		t.Fatalf("IDs = %v, want only %s", got, acctC)
	}
	if got := Invalid(vals); len(got) != 4 {
		t.Fatalf("Invalid = %q, want the four values that are not account IDs", got)
	}
}

func TestFromCARMData(t *testing.T) {
	accounts, invalid := FromCARMData(map[string]string{
		acctA:     "arn:aws:iam::" + acctA + ":role/ack-admin",
		acctB:     "arn:aws:iam::" + acctB + ":role/ack-cross",
		"team-x":  "arn:aws:iam::" + acctC + ":role/team-x",
		"garbage": "not an arn",
	})
	if !slices.Equal(accounts, []string{acctA, acctB, acctC}) {
		t.Errorf("accounts = %v", accounts)
	}
	if !slices.Equal(invalid, []string{"garbage"}) {
		t.Errorf("invalid = %v", invalid)
	}
}

func TestDescribe(t *testing.T) {
	s := New([]string{acctA})
	s.Set(Origin{FromCARM, "ack-system/" + AccountMapName}, []string{acctA})
	for i := range 5 {
		s.Set(Origin{FromNamespace, fmt.Sprintf("team-%d", i)}, []string{acctA})
		s.Set(Origin{FromStatus, fmt.Sprintf("Bucket team-%d/b", i)}, []string{acctA})
	}
	s.Set(Origin{FromStatus, "Role team-9/r"}, []string{acctB})
	accts := s.Accounts()
	if len(accts) != 2 || accts[0].ID != acctA || accts[1].ID != acctB {
		t.Fatalf("accounts = %v", accts)
	}
	got := accts[0].String()
	for _, want := range []string{acctA + " (from --owner-account", "namespaces team-0, team-1, team-2 and 2 more", "ConfigMap ack-system/ack-role-account-map", "status of 5 resources (e.g. Bucket team-0/b)"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
	if got := accts[1].String(); got != acctB+" (from status of Role team-9/r)" {
		t.Errorf("single origin: %q", got)
	}
}

func TestConcurrentSet(t *testing.T) {
	s := New(nil)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				s.Set(Origin{FromStatus, fmt.Sprintf("o-%d-%d", g, i%10)}, []string{acctA})
				_ = s.Accounts()
			}
		}()
	}
	for range 4 {
		<-done
	}
	if got := s.IDs(); !slices.Equal(got, []string{acctA}) {
		t.Fatalf("IDs = %v", got)
	}
}
