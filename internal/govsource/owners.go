package govsource

import (
	"context"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/internal/owners"
	"github.com/ackguard/ackguard/internal/view"
)

// DefaultCARMInterval is how often ACK's cross-account role maps are read.
const DefaultCARMInterval = time.Minute

// CARM keeps the snapshot's owner accounts in step with ACK's
// cross-account role maps (CARM): the ack-role-account-map and
// ack-role-team-map ConfigMaps in the ACK controllers' namespace. It reads
// the two objects by name every Interval rather than watching ConfigMaps:
// it needs only `get` on those two names, and a cluster without CARM (no
// ConfigMap, or no permission) costs two failed reads a minute. It runs on
// every replica, since every replica's webhook judges with the accounts.
type CARM struct {
	// Reader reads the ConfigMaps (the API reader: nothing caches them).
	Reader    client.Reader
	Namespace string
	Snapshot  *Snapshot
	// Interval between reads (0: DefaultCARMInterval).
	Interval time.Duration

	mu     sync.Mutex
	warned map[string]string // ConfigMap → the last problem logged
}

// NeedLeaderElection is false: every replica judges admissions.
func (c *CARM) NeedLeaderElection() bool { return false }

// Start reads the maps now and every Interval until ctx ends.
func (c *CARM) Start(ctx context.Context) error {
	interval := c.Interval
	if interval <= 0 {
		interval = DefaultCARMInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		c.Sync(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sync reads both maps once and records the accounts they name. A map
// that is missing names none; one that cannot be read keeps what it named
// before.
func (c *CARM) Sync(ctx context.Context) {
	for _, name := range []string{owners.AccountMapName, owners.TeamMapName} {
		origin := owners.Origin{Source: owners.FromCARM, Name: c.Namespace + "/" + name}
		cm := &corev1.ConfigMap{}
		err := c.Reader.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, cm)
		switch {
		case apierrors.IsNotFound(err):
			c.Snapshot.ObserveOwners(origin, nil)
			c.note(origin.Name, "")
		case err != nil:
			c.note(origin.Name, err.Error())
		default:
			accts, invalid := owners.FromCARMData(cm.Data)
			if len(invalid) > 0 {
				c.note(origin.Name, "entries that name no account: "+strings.Join(invalid, ", "))
			} else {
				c.note(origin.Name, "")
			}
			c.Snapshot.ObserveOwners(origin, accts)
		}
	}
}

// note logs a problem with a map once, until it changes.
func (c *CARM) note(name, problem string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.warned == nil {
		c.warned = map[string]string{}
	}
	if c.warned[name] == problem {
		return
	}
	c.warned[name] = problem
	if problem != "" {
		log.Info("cannot read owner accounts from ACK's cross-account role map", "configMap", name, "problem", problem)
	}
}

// ObserveStatus records the account ACK reports for a synced resource
// (status.ackResourceMetadata.ownerAccountID); obj nil means the resource
// is gone. The reconciler calls it for every object it loads.
func (s *Snapshot) ObserveStatus(gvk schema.GroupVersionKind, key client.ObjectKey, obj map[string]any) {
	var accts []string
	if obj != nil {
		if a := view.OwnerAccountID(obj); a != "" {
			accts = []string{a}
		}
	}
	s.owners.Set(owners.Origin{Source: owners.FromStatus, Name: gvk.Kind + " " + key.String()}, accts)
}

// StatusObjects returns the resources of a kind whose status names an
// owner account, in no order: those a reconciler of the kind started
// again asks about, as it is told only of the objects still there (one
// deleted meanwhile would otherwise keep its account an owner account).
func (s *Snapshot) StatusObjects(gvk schema.GroupVersionKind) []types.NamespacedName {
	prefix := gvk.Kind + " "
	seen := map[string]bool{}
	var out []types.NamespacedName
	for _, a := range s.owners.Accounts() {
		for _, o := range a.Origins {
			rest, ok := strings.CutPrefix(o.Name, prefix)
			if o.Source != owners.FromStatus || !ok || seen[rest] {
				continue
			}
			seen[rest] = true
			key := types.NamespacedName{Name: rest}
			if ns, name, ok := strings.Cut(rest, "/"); ok {
				key = types.NamespacedName{Namespace: ns, Name: name}
			}
			out = append(out, key)
		}
	}
	return out
}

// ForgetStatusOf forgets the accounts the status of the resources of a
// kind no longer served named (its CRD was deleted, and its resources with
// it, which the reconciler may not have seen go).
func (s *Snapshot) ForgetStatusOf(gvk schema.GroupVersionKind) {
	prefix := gvk.Kind + " "
	s.owners.Forget(func(o owners.Origin) bool {
		return o.Source == owners.FromStatus && strings.HasPrefix(o.Name, prefix)
	})
}
