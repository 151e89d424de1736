package view

import (
	"maps"
	"testing"
)

// A value built for a fix to write whole reads back, through the view,
// as the state the fix means; before it, the view reads that state as
// missing. Every call builds a new value, which a fix may hand to the
// object it patches.
func TestFixValuesReadBack(t *testing.T) {
	cases := []struct {
		name  string
		field string
		value func() map[string]any
		// holds reads the object through its view: true when the fix's
		// state is there.
		holds func(obj map[string]any) bool
	}{
		{"publicAccessBlock, all four flags", "publicAccessBlock", FullPublicAccessBlock, func(obj map[string]any) bool {
			b := NewBucket(obj)
			for _, f := range b.PublicAccessBlock.Flags() {
				if !f.IsTrue() {
					return false
				}
			}
			return len(b.PublicAccessBlock.Fields) == 4 && len(b.Errors) == 0
		}},
		{"ownershipControls, one rule", "ownershipControls", func() map[string]any { return OwnershipControlsValue("BucketOwnerEnforced") }, func(obj map[string]any) bool {
			b := NewBucket(obj)
			return len(b.OwnershipRules) == 1 && b.OwnershipRules[0].ObjectOwnership.Value == "BucketOwnerEnforced" && len(b.Errors) == 0
		}},
		{"versioning status", "versioning", func() map[string]any { return VersioningValue("Enabled") }, func(obj map[string]any) bool {
			c := NewBucketConfig(obj)
			return c.Versioning.Err == nil && c.VersionStatus.Err == nil && c.VersionStatus.Value == "Enabled"
		}},
		{"tracing mode", "tracingConfig", func() map[string]any { return TracingConfigValue("Active") }, func(obj map[string]any) bool {
			f := NewFunction(obj)
			return f.TracingConfig.Err == nil && f.TracingMode.Err == nil && f.TracingMode.Value == "Active"
		}},
	}
	for _, tc := range cases {
		// Insecure: the field absent, or of the wrong type (a fix then
		// writes the value whole).
		for _, before := range []any{nil, "wrong type", []any{}} {
			spec := map[string]any{}
			if before != nil {
				spec[tc.field] = before
			}
			if tc.holds(map[string]any{"spec": spec}) {
				t.Errorf("%s: holds before the fix with %v", tc.name, before)
			}
		}
		// Secure: the value written.
		v := tc.value()
		if !tc.holds(map[string]any{"spec": map[string]any{tc.field: v}}) {
			t.Errorf("%s: %v does not read back as the fix's state", tc.name, v)
		}
		// Tricky: a value changed after it was written is not the next
		// fix's.
		clear(v)
		if w := tc.value(); len(w) == 0 || !tc.holds(map[string]any{"spec": map[string]any{tc.field: w}}) {
			t.Errorf("%s: a new value shares the one changed before: %v", tc.name, w)
		}
	}
}

func TestPermissionWithSourceAccount(t *testing.T) {
	const acct = "111122223333"
	cases := []struct {
		name  string
		entry map[string]any
	}{
		{"no sourceAccount", map[string]any{"principal": "s3.amazonaws.com", "action": "lambda:InvokeFunction", "sourceARN": "arn:aws:s3:::b"}},
		{"another account", map[string]any{"principal": "events.amazonaws.com", "sourceAccount": "444455556666"}},
		{"sourceAccount of the wrong type", map[string]any{"principal": "s3.amazonaws.com", "sourceAccount": 7}},
		{"empty element", map[string]any{}},
	}
	for _, tc := range cases {
		before := maps.Clone(tc.entry)
		got := PermissionWithSourceAccount(tc.entry, acct)
		if !maps.Equal(tc.entry, before) {
			t.Errorf("%s: the element was modified: %v", tc.name, tc.entry)
		}
		a := NewAlias(map[string]any{"spec": map[string]any{"permissions": []any{got}}})
		if len(a.Permissions.Items) != 1 || a.Permissions.Items[0].SourceAccount.Err != nil || a.Permissions.Items[0].SourceAccount.Value != acct {
			t.Errorf("%s: the view reads %+v", tc.name, a.Permissions.Items)
			continue
		}
		for k, v := range tc.entry {
			if k != "sourceAccount" && got[k] != v {
				t.Errorf("%s: %s = %v, want it kept as %v", tc.name, k, got[k], v)
			}
		}
		want := len(tc.entry) + 1
		if _, had := tc.entry["sourceAccount"]; had {
			want--
		}
		if len(got) != want {
			t.Errorf("%s: %v has fields besides the element's and sourceAccount", tc.name, got)
		}
	}
}
