package manager

import (
	"strings"
	"testing"
	"time"
)

func validRotation() CertRotation {
	return CertRotation{
		Enabled: true, SecretNamespace: "ackguard-system", SecretName: "cert",
		DNSName: "ackguard.ackguard-system.svc", WebhookConfiguration: "ackguard",
	}
}

// TestValidateRefusesOptionsThatCannotWork: options the manager would
// accept and then run with, silently broken.
func TestValidateRefusesOptionsThatCannotWork(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Options)
		want   string // substring of the error; "" accepts
	}{
		{name: "defaults", modify: func(*Options) {}},
		{name: "rotation with defaults", modify: func(o *Options) { o.CertRotation = validRotation() }},
		{name: "chart's rotation values", modify: func(o *Options) {
			o.CertRotation = validRotation()
			o.CertRotation.ServerDuration, o.CertRotation.Lookahead, o.CertRotation.CheckFrequency = 8760*time.Hour, 2160*time.Hour, time.Hour
		}},
		// A negative port disables controller-runtime's webhook server
		// while its readiness check passes: a ready replica that refuses
		// every admission.
		{name: "negative webhook port", modify: func(o *Options) { o.WebhookPort = -1 }, want: "webhook port"},
		{name: "webhook port out of range", modify: func(o *Options) { o.WebhookPort = 65536 }, want: "webhook port"},
		{name: "webhook port unused without the webhook", modify: func(o *Options) { o.WebhookPort, o.EnableWebhook = -1, false }},
		// Negative values were quietly replaced by defaults or minimums.
		{name: "negative kind poll interval", modify: func(o *Options) { o.KindPollInterval = -time.Minute }, want: "--kind-poll-interval"},
		{name: "negative remediation window", modify: func(o *Options) { o.RemediationWindow = -time.Hour }, want: "--remediation-window"},
		{name: "negative retry period", modify: func(o *Options) { o.RetryPeriod = -time.Second }, want: "--leader-election-retry-period"},
		{name: "negative workers", modify: func(o *Options) { o.ReconcileWorkers = -1 }, want: "--reconcile-workers"},
		// No worker was quietly one: neither the default (4) nor the
		// reconcilers off, which --enable-reconciler=false asks for.
		{name: "no workers", modify: func(o *Options) { o.ReconcileWorkers = 0 }, want: "--reconcile-workers must be at least 1"},
		{name: "no workers, reconcilers off", modify: func(o *Options) { o.ReconcileWorkers, o.EnableReconciler = 0, false }},
		{name: "one worker", modify: func(o *Options) { o.ReconcileWorkers = 1 }},
		{name: "negative attempts", modify: func(o *Options) { o.RemediationMaxAttempts = -1 }, want: "--remediation-max-attempts"},
		{name: "negative event burst", modify: func(o *Options) { o.EventBurst = -1 }, want: "--event-burst"},
		{name: "aws-cn partition", modify: func(o *Options) { o.Partition = "aws-cn" }},
		{name: "no partition: aws", modify: func(o *Options) { o.Partition = "" }},
		{name: "unknown partition", modify: func(o *Options) { o.Partition = "aws-china" }, want: `AWS partition "aws-china" is not one of aws, aws-cn, aws-us-gov`},
		{name: "negative shutdown delay", modify: func(o *Options) { o.ShutdownDelay = -time.Second }, want: "--shutdown-delay"},
		{name: "no shutdown delay", modify: func(o *Options) { o.ShutdownDelay = 0 }},
		// Leader election would refuse these when it starts, naming no flag.
		{name: "retry period too long for the renew deadline", modify: func(o *Options) {
			o.LeaderElection, o.RenewDeadline, o.RetryPeriod = true, 10*time.Second, 9*time.Second
		}, want: "must be longer than 1.2 times --leader-election-retry-period"},
		{name: "retry period too long for the default renew deadline", modify: func(o *Options) {
			o.LeaderElection, o.RetryPeriod = true, 9*time.Second
		}, want: "--leader-election-retry-period (9s)"},
		{name: "a long retry period without leader election", modify: func(o *Options) { o.RetryPeriod = 9 * time.Second }},
		{name: "chart's leader election", modify: func(o *Options) {
			o.LeaderElection, o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = true, 15*time.Second, 10*time.Second, 2*time.Second
		}},
		// A server certificate valid for less than the renewal lookahead
		// (90 days by default) is due for renewal as soon as it is issued:
		// every check, and every write of the Secret, issues another.
		{name: "validity shorter than the default lookahead", modify: func(o *Options) {
			o.CertRotation = validRotation()
			o.CertRotation.ServerDuration = 30 * 24 * time.Hour
		}, want: "renew"},
		{name: "lookahead longer than the default validity", modify: func(o *Options) {
			o.CertRotation = validRotation()
			o.CertRotation.Lookahead = 400 * 24 * time.Hour
		}, want: "renew"},
		// A negative check interval panics the rotation's ticker.
		{name: "negative check interval", modify: func(o *Options) {
			o.CertRotation = validRotation()
			o.CertRotation.CheckFrequency = -time.Minute
		}, want: "negative"},
		{name: "negative validity", modify: func(o *Options) {
			o.CertRotation = validRotation()
			o.CertRotation.ServerDuration = -time.Hour
		}, want: "negative"},
		{name: "negative lookahead", modify: func(o *Options) {
			o.CertRotation = validRotation()
			o.CertRotation.Lookahead = -time.Hour
		}, want: "negative"},
		// Checked less often than the lookahead, a certificate can expire
		// between two checks.
		{name: "check interval not shorter than the lookahead", modify: func(o *Options) {
			o.CertRotation = validRotation()
			o.CertRotation.Lookahead, o.CertRotation.CheckFrequency = 24*time.Hour, 24*time.Hour
		}, want: "check"},
		{name: "default check interval longer than the lookahead", modify: func(o *Options) {
			o.CertRotation = validRotation()
			o.CertRotation.Lookahead = 6 * time.Hour
		}, want: "check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.modify(&o)
			err := o.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted")
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}
