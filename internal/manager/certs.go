package manager

import (
	"context"
	"fmt"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// CertRotation has ackguard manage its own webhook serving certificate: a
// CA and a server certificate kept in a Secret, rotated before expiry, with
// the CA bundle injected into the webhook configuration (the rotation
// library Gatekeeper uses). The pod mounts the Secret at the webhook's
// certificate folder; the webhook server starts once the files are there
// and reloads them when they change, so rotation has no TLS gap.
type CertRotation struct {
	Enabled bool
	// SecretNamespace and SecretName locate the Secret holding ca.crt,
	// tls.crt and tls.key (ackguard's own namespace).
	SecretNamespace string
	SecretName      string
	// DNSName is the name the API server dials: <service>.<namespace>.svc.
	DNSName       string
	ExtraDNSNames []string
	// WebhookConfiguration is the ValidatingWebhookConfiguration whose CA
	// bundle is kept current.
	WebhookConfiguration string
	// Durations; zero means the library's defaults (CA 10 years, server
	// certificate 1 year, renewal 90 days ahead, checked every 12 hours).
	CADuration, ServerDuration, Lookahead, CheckFrequency time.Duration
}

// The rotation library's defaults for CertRotation's zero durations.
const (
	defaultCAValidity     = 10 * 365 * 24 * time.Hour
	defaultServerValidity = 365 * 24 * time.Hour
	defaultRenewBefore    = 90 * 24 * time.Hour
	defaultCheckInterval  = 12 * time.Hour
)

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (c CertRotation) validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.SecretNamespace == "" || c.SecretName == "":
		return fmt.Errorf("certificate rotation needs the Secret's namespace and name")
	case c.DNSName == "":
		return fmt.Errorf("certificate rotation needs the webhook Service's DNS name")
	case c.WebhookConfiguration == "":
		return fmt.Errorf("certificate rotation needs the webhook configuration's name")
	case c.CADuration < 0 || c.ServerDuration < 0 || c.Lookahead < 0 || c.CheckFrequency < 0:
		return fmt.Errorf("the certificate's validity, renewal lookahead and check interval must not be negative")
	}
	// Compared with the library's defaults for those not set: a
	// certificate valid for no longer than the lookahead is due for
	// renewal as soon as it is issued (each check, and each write of the
	// Secret, would issue another), and one checked less often than the
	// lookahead can expire between two checks.
	ca, server := orDefault(c.CADuration, defaultCAValidity), orDefault(c.ServerDuration, defaultServerValidity)
	lookahead, check := orDefault(c.Lookahead, defaultRenewBefore), orDefault(c.CheckFrequency, defaultCheckInterval)
	switch {
	case lookahead >= server:
		return fmt.Errorf("the certificate must be renewed before it expires: --cert-renew-before (%s) must be shorter than --cert-validity (%s)", lookahead, server)
	case lookahead >= ca:
		return fmt.Errorf("the certificate must be renewed before its CA expires: --cert-renew-before (%s) must be shorter than the CA's validity (%s)", lookahead, ca)
	case check >= lookahead:
		return fmt.Errorf("the certificate could expire between two checks: --cert-check-interval (%s) must be shorter than --cert-renew-before (%s)", check, lookahead)
	}
	return nil
}

// addWebhookServer registers srv on mgr: directly when certificates come
// from outside, or, with rotation, once the rotated certificates are
// mounted.
func addWebhookServer(mgr ctrl.Manager, srv webhook.Server, certDir string, rot CertRotation) error {
	if !rot.Enabled {
		return mgr.Add(srv)
	}
	ready := make(chan struct{})
	err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:              types.NamespacedName{Namespace: rot.SecretNamespace, Name: rot.SecretName},
		CertDir:                certDir,
		CAName:                 "ackguard-ca",
		CAOrganization:         "ackguard",
		DNSName:                rot.DNSName,
		ExtraDNSNames:          rot.ExtraDNSNames,
		IsReady:                ready,
		Webhooks:               []rotator.WebhookInfo{{Name: rot.WebhookConfiguration, Type: rotator.Validating}},
		FieldOwner:             "ackguard",
		RequireLeaderElection:  false, // every replica serves, so every replica needs its certificate mounted
		CaCertDuration:         rot.CADuration,
		ServerCertDuration:     rot.ServerDuration,
		LookaheadInterval:      rot.Lookahead,
		RotationCheckFrequency: rot.CheckFrequency,
	})
	if err != nil {
		return fmt.Errorf("certificate rotation: %w", err)
	}
	return mgr.Add(&startWhenReady{server: srv, ready: ready})
}

// startWhenReady starts the webhook server once its certificates exist;
// until then the readiness probe (the server's StartedChecker) fails.
type startWhenReady struct {
	server webhook.Server
	ready  <-chan struct{}
}

var _ manager.LeaderElectionRunnable = &startWhenReady{}

func (s *startWhenReady) NeedLeaderElection() bool { return false }

func (s *startWhenReady) Start(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-s.ready:
	}
	return s.server.Start(ctx)
}
