package probe

import (
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// denial is the error the API server returns for a create the webhook
// denied with the field errors given.
func denial(errs ...*field.Error) error {
	err := apierrors.NewInvalid(schema.GroupKind{Group: "s3.services.k8s.aws", Kind: "Bucket"}, Name, errs)
	err.ErrStatus.Message = `admission webhook "validate.ack.ackguard.dev" denied the request: ` + err.ErrStatus.Message
	return err
}

// TestVerdict: the probe passes on ackguard's denial, for the probe's
// rule or, where a policy in force does not deny that rule, for another
// (the webhook judged the write all the same), and fails, saying why, on
// any other answer.
func TestVerdict(t *testing.T) {
	acl := field.Forbidden(field.NewPath("spec", "acl"), Rule+": the ACL public-read makes the bucket public; set it to private")
	pab := field.Forbidden(field.NewPath("spec", "publicAccessBlock"), "S3-001: publicAccessBlock is not set")
	for _, tc := range []struct {
		name    string
		err     error
		pass    string // a part of the denial returned
		failure string // a part of the error
	}{
		{"denied for the probe's rule", denial(pab, acl), "spec.acl: Forbidden: S3-004", ""},
		{"denied for another rule only", denial(pab), "S3-001", ""},
		{"admitted", nil, "", "admitted a public-read Bucket"},
		{"another webhook denied it", func() error {
			err := apierrors.NewForbidden(schema.GroupResource{Group: "s3.services.k8s.aws", Resource: "buckets"}, Name, errors.New("no"))
			err.ErrStatus.Message = `admission webhook "validate.other.example.com" denied the request: no`
			return err
		}(), "", "not by ackguard's denial"},
		{"the webhook unreachable", errors.New(`Internal error occurred: failed calling webhook "validate.ack.ackguard.dev": connection refused`), "", "could not call ackguard's webhook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := verdict(tc.err)
			switch {
			case tc.failure != "" && (err == nil || !strings.Contains(err.Error(), tc.failure)):
				t.Errorf("error %v, want one saying %q", err, tc.failure)
			case tc.failure == "" && err != nil:
				t.Errorf("error %v, want a pass", err)
			case tc.pass != "" && !strings.Contains(got, tc.pass):
				t.Errorf("denial %q, want it to hold %q", got, tc.pass)
			}
		})
	}
}
