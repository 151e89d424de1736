package scan

import (
	"fmt"
	"strings"

	"github.com/ackguard/ackguard/internal/owners"
	"github.com/ackguard/ackguard/internal/view"
)

// Owner accounts are learned from the input as the manager learns them
// from the cluster (internal/owners): besides --owner-account, Namespaces
// annotated services.k8s.aws/owner-account-id, ACK's cross-account role
// map ConfigMaps, and resources' status.ackResourceMetadata.ownerAccountID.

// observeOwners records what an origin in the input says, reporting values
// that are not account IDs as input errors at the line of the object that
// names them (at is "line N: ", or "").
func (s *scanner) observeOwners(source, at string, o owners.Origin, accounts []string) {
	if bad := owners.Invalid(accounts); len(bad) > 0 {
		s.errorf(source, "%s%s: %q is not a 12-digit AWS account ID", at, o, strings.Join(bad, ", "))
	}
	s.owners.Set(o, accounts)
}

// carmDoc reads one of ACK's cross-account role map ConfigMaps.
func (s *scanner) carmDoc(source string, obj map[string]any, meta view.Meta, loc locator) {
	data := map[string]string{}
	if d, ok := obj["data"].(map[string]any); ok {
		for k, v := range d {
			if str, ok := v.(string); ok {
				data[k] = str
			}
		}
	}
	accts, invalid := owners.FromCARMData(data)
	name := meta.Namespace + "/" + meta.Name
	if len(invalid) > 0 {
		s.errorf(source, "%sConfigMap %s: entries that name no AWS account: %s", lineAt(loc), name, strings.Join(invalid, ", "))
	}
	s.owners.Set(owners.Origin{Source: owners.FromCARM, Name: name}, accts)
}

// ownerAccounts lists the owner accounts and where each came from.
func (s *scanner) ownerAccounts() []OwnerAccount {
	var out []OwnerAccount
	for _, a := range s.owners.Accounts() {
		oa := OwnerAccount{ID: a.ID}
		for _, o := range a.Origins {
			oa.Sources = append(oa.Sources, o.String())
		}
		out = append(out, oa)
	}
	return out
}

// ownerAccountsLine is the text output's line: "owner accounts:
// 111122223333 (from …)".
func ownerAccountsLine(accts []OwnerAccount) string {
	parts := make([]string, 0, len(accts))
	for _, a := range accts {
		parts = append(parts, fmt.Sprintf("%s (from %s)", a.ID, strings.Join(a.Sources, "; ")))
	}
	return "owner accounts: " + strings.Join(parts, ", ")
}
