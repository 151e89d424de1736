// Package owners learns which AWS accounts own the resources ackguard
// guards, and remembers where it learned each one.
//
// The owner accounts decide what counts as "external" (rule catalog
// §10.1 G2): a bucket policy granting an owner account is not public, a
// Role trusting its own account is not a cross-account trust (IAM-011),
// S3-007 admits the owner accounts' principals. Besides the
// --owner-account flag, ACK itself says which accounts it manages:
//
//   - the services.k8s.aws/owner-account-id annotation of a Namespace
//     (ACK creates the namespace's resources in that account);
//   - ACK's cross-account role map, the ack-role-account-map ConfigMap in
//     the ACK controllers' namespace (account IDs → role ARNs) and the
//     team map ack-role-team-map (team IDs → role ARNs in an account);
//   - status.ackResourceMetadata.ownerAccountID of every resource ACK has
//     synced.
//
// A Set holds what each origin said; the owner accounts are their union.
// It is pure data (no client, no I/O) and safe for concurrent use: the
// adapters (the manager's snapshot, scan) feed it.
package owners

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

// Source is the kind of place an owner account was learned from.
type Source string

// The sources, in the order descriptions list them.
const (
	// FromFlag is the --owner-account flag (or scan's).
	FromFlag Source = "flag"
	// FromNamespace is a Namespace's services.k8s.aws/owner-account-id
	// annotation.
	FromNamespace Source = "namespace"
	// FromCARM is ACK's cross-account role map ConfigMap.
	FromCARM Source = "carm"
	// FromStatus is status.ackResourceMetadata.ownerAccountID of a
	// resource ACK has synced.
	FromStatus Source = "status"
)

var sourceOrder = []Source{FromFlag, FromNamespace, FromCARM, FromStatus}

// CARM ConfigMaps: account IDs → role ARNs, and team IDs → role ARNs.
const (
	AccountMapName = "ack-role-account-map"
	TeamMapName    = "ack-role-team-map"
)

// DefaultACKNamespace is where the ACK controllers, and so their CARM
// ConfigMaps, are by default: the manager's and scan's --ack-namespace.
const DefaultACKNamespace = "ack-system"

// Origin is one place that names owner accounts: a source and what in it
// (the flag, a namespace's name, the ConfigMap's namespace/name, a
// resource's kind, namespace and name).
type Origin struct {
	Source Source
	Name   string
}

func (o Origin) String() string {
	switch o.Source {
	case FromFlag:
		return "--owner-account"
	case FromNamespace:
		return "namespace " + o.Name + " (" + view.AnnotationOwnerAccountID + ")"
	case FromCARM:
		return "ConfigMap " + o.Name
	case FromStatus:
		return "status of " + o.Name
	}
	return string(o.Source) + " " + o.Name
}

// ValidAccountID reports whether s is an AWS account ID (twelve digits).
func ValidAccountID(s string) bool { return policy.IsAccountID(s) }

// arnAccount is the account field of an ARN ("" when s is not an ARN with
// an account).
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || !ValidAccountID(parts[4]) {
		return ""
	}
	return parts[4]
}

// FromCARMData returns the accounts a CARM ConfigMap names: the account
// ID keys of the account map and the accounts of the role ARNs of either
// map. It also returns the entries it could not read, so the adapter can
// say so instead of guessing.
func FromCARMData(data map[string]string) (accounts, invalid []string) {
	for _, k := range slices.Sorted(maps.Keys(data)) {
		v := strings.TrimSpace(data[k])
		if ValidAccountID(k) {
			accounts = append(accounts, k)
		}
		if a := arnAccount(v); a != "" {
			accounts = append(accounts, a)
		} else if !ValidAccountID(k) {
			invalid = append(invalid, k)
		}
	}
	slices.Sort(accounts)
	return slices.Compact(accounts), invalid
}

// Set is the owner accounts learned so far, by origin. The zero value is
// not usable; use New.
type Set struct {
	mu       sync.Mutex
	byOrigin map[Origin][]string
	version  atomic.Uint64
}

// New returns a set holding the flag's accounts.
func New(flagAccounts []string) *Set {
	s := &Set{byOrigin: map[Origin][]string{}}
	s.Set(Origin{Source: FromFlag}, flagAccounts)
	return s
}

// Set replaces what an origin says (no accounts forgets the origin) and
// reports whether the union of owner accounts changed. Values that are not
// account IDs are ignored; Invalid tells the adapter which.
func (s *Set) Set(o Origin, accounts []string) bool {
	valid := make([]string, 0, len(accounts))
	for _, a := range accounts {
		if a = strings.TrimSpace(a); ValidAccountID(a) {
			valid = append(valid, a)
		}
	}
	slices.Sort(valid)
	valid = slices.Compact(valid)
	s.mu.Lock()
	defer s.mu.Unlock()
	before := s.idsLocked()
	if len(valid) == 0 {
		delete(s.byOrigin, o)
	} else {
		s.byOrigin[o] = valid
	}
	if slices.Equal(before, s.idsLocked()) {
		return false
	}
	s.version.Add(1)
	return true
}

// Forget forgets every origin match accepts and reports whether the union
// of owner accounts changed.
func (s *Set) Forget(match func(Origin) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := s.idsLocked()
	for o := range s.byOrigin {
		if match(o) {
			delete(s.byOrigin, o)
		}
	}
	if slices.Equal(before, s.idsLocked()) {
		return false
	}
	s.version.Add(1)
	return true
}

// Invalid returns the values that are not account IDs.
func Invalid(accounts []string) []string {
	var out []string
	for _, a := range accounts {
		if !ValidAccountID(strings.TrimSpace(a)) {
			out = append(out, a)
		}
	}
	return out
}

// Version changes whenever the owner accounts change.
func (s *Set) Version() uint64 { return s.version.Load() }

// IDs returns the owner accounts, sorted.
func (s *Set) IDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.idsLocked()
}

func (s *Set) idsLocked() []string {
	var ids []string
	for _, accts := range s.byOrigin {
		ids = append(ids, accts...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Account is one owner account and where it was learned.
type Account struct {
	ID      string
	Origins []Origin
}

// Accounts returns the owner accounts with their origins, sorted by ID,
// each account's origins by source then name.
func (s *Set) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	by := map[string][]Origin{}
	for o, accts := range s.byOrigin {
		for _, a := range accts {
			by[a] = append(by[a], o)
		}
	}
	out := make([]Account, 0, len(by))
	for _, id := range slices.Sorted(maps.Keys(by)) {
		origins := by[id]
		slices.SortFunc(origins, compareOrigins)
		out = append(out, Account{ID: id, Origins: origins})
	}
	return out
}

func compareOrigins(a, b Origin) int {
	if c := slices.Index(sourceOrder, a.Source) - slices.Index(sourceOrder, b.Source); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// maxNamed is how many origins of one source a description names before
// it counts the rest.
const maxNamed = 3

// Describe says where the account was learned, briefly: "--owner-account;
// namespace team-a (…); status of 1,204 resources".
func (a Account) Describe() string {
	var parts []string
	for _, src := range sourceOrder {
		var of []Origin
		for _, o := range a.Origins {
			if o.Source == src {
				of = append(of, o)
			}
		}
		switch {
		case len(of) == 0:
		case src == FromStatus && len(of) > 1:
			parts = append(parts, fmt.Sprintf("status of %d resources (e.g. %s)", len(of), of[0].Name))
		case len(of) > maxNamed:
			names := make([]string, 0, maxNamed)
			for _, o := range of[:maxNamed] {
				names = append(names, o.Name)
			}
			parts = append(parts, fmt.Sprintf("%ss %s and %d more", src, strings.Join(names, ", "), len(of)-maxNamed))
		default:
			for _, o := range of {
				parts = append(parts, o.String())
			}
		}
	}
	return strings.Join(parts, "; ")
}

// String is "111122223333 (from …)".
func (a Account) String() string { return a.ID + " (from " + a.Describe() + ")" }
