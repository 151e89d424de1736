package view

import (
	"fmt"
	"reflect"
	"testing"
)

// arenaBucket has every field the Bucket views read, some of the wrong
// type, so that each path-building branch runs.
func arenaBucket() map[string]any {
	return map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"name": "b", "namespace": "ns", "labels": map[string]any{"a": "b"}},
		"spec": map[string]any{
			"name": "b", "policy": `{"Statement":[]}`, "acl": 7,
			"publicAccessBlock": map[string]any{"blockPublicACLs": true, "ignorePublicACLs": "yes"},
			"grantRead":         "id=1", "grantWrite": []any{},
			"ownershipControls": map[string]any{"rules": []any{map[string]any{"objectOwnership": "BucketOwnerEnforced"}, "x", map[string]any{"objectOwnership": 3}}},
			"encryption": map[string]any{"rules": []any{
				map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyID": "k"}},
				map[string]any{"applyServerSideEncryptionByDefault": "AES256"}, 4}},
			"versioning": map[string]any{"status": "Enabled"},
			"lifecycle": map[string]any{"rules": []any{
				map[string]any{"id": "r", "status": "Enabled", "prefix": "p/", "abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 7.0},
					"filter": map[string]any{"prefix": "q/", "tag": map[string]any{}, "and": map[string]any{"prefix": 1, "tags": []any{}}}},
				map[string]any{"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 1.5}, "filter": "f"}}},
			"logging":                    map[string]any{"loggingEnabled": map[string]any{"targetBucket": "logs"}},
			"objectLockEnabledForBucket": true,
			"objectLockConfiguration":    map[string]any{"rule": map[string]any{"defaultRetention": map[string]any{"mode": "GOVERNANCE", "days": int64(3), "years": "x"}}},
			"notification":               map[string]any{"lambdaFunctionConfigurations": []any{map[string]any{"id": "l"}}, "queueConfigurations": "q"},
			"replication":                map[string]any{"rules": []any{map[string]any{"status": "Enabled", "destination": map[string]any{"bucket": "arn:aws:s3:::d"}}, nil}},
		},
	}
}

func arenaRole() map[string]any {
	return map[string]any{
		"apiVersion": "iam.services.k8s.aws/v1alpha1", "kind": "Role",
		"metadata": map[string]any{"name": "r", "namespace": "ns"},
		"spec": map[string]any{
			"name": "r", "path": "/app/", "assumeRolePolicyDocument": `{}`, "maxSessionDuration": int64(3600),
			"inlinePolicies":         map[string]any{"b": "{}", "a": "{}", "my policy": 5, "gone": nil},
			"policies":               []any{"arn:aws:iam::aws:policy/ReadOnlyAccess", 3},
			"policyRefs":             []any{map[string]any{"from": map[string]any{"name": "p", "namespace": "o"}}, "bad"},
			"permissionsBoundary":    "arn:aws:iam::1:policy/b",
			"permissionsBoundaryRef": map[string]any{"from": map[string]any{"name": "pb"}},
		},
	}
}

// TestPathArenaMatchesEagerPaths checks that the views whose paths come
// from an arena are those whose paths are each allocated by Path.Child,
// and that every path has len == cap, so that appending to one (as
// callers may) cannot overwrite another.
func TestPathArenaMatchesEagerPaths(t *testing.T) {
	bucket, role := arenaBucket(), arenaRole()
	cases := []struct {
		name         string
		arena, eager any
	}{
		{"Bucket", bucketWithMeta(new(Bucket), bucket, ReadMeta(bucket), true), bucketWithMeta(new(Bucket), bucket, ReadMeta(bucket), false)},
		{"BucketConfig", newBucketConfig(new(BucketConfig), bucket, true), newBucketConfig(new(BucketConfig), bucket, false)},
		{"Role", newRole(role, true), newRole(role, false)},
	}
	for _, c := range cases {
		if !reflect.DeepEqual(c.arena, c.eager) {
			t.Errorf("%s: the view built with an arena differs from the one built without:\n%+v\n%+v", c.name, c.arena, c.eager)
		}
		var paths []Path
		collectPaths(reflect.ValueOf(c.arena), map[uintptr]bool{}, &paths)
		if len(paths) < 20 {
			t.Errorf("%s: found only %d paths", c.name, len(paths))
		}
		for _, p := range paths {
			if len(p) != cap(p) {
				t.Errorf("%s: path %s has len %d, cap %d", c.name, p, len(p), cap(p))
			}
		}
	}
	// Paths built from a finished view's objects are allocated as before.
	b := NewBucket(bucket)
	if p := b.Spec.String("later").Path; p.String() != "spec.later" || len(p) != cap(p) {
		t.Errorf("a path read after the view was built is %q (len %d, cap %d)", p, len(p), cap(p))
	}
}

// collectPaths appends every Path reachable from v.
func collectPaths(v reflect.Value, seen map[uintptr]bool, out *[]Path) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		collectPaths(v.Elem(), seen, out)
	case reflect.Interface:
		if !v.IsNil() {
			collectPaths(v.Elem(), seen, out)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			collectPaths(v.Field(i), seen, out)
		}
	case reflect.Slice:
		if v.Type() == reflect.TypeOf(Path(nil)) {
			if !v.IsNil() && v.Len() > 0 {
				p := make(Path, v.Len(), v.Cap()) // keeps v's len and cap for the check
				for i := range p {
					p[i] = v.Index(i).String()
				}
				*out = append(*out, p)
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			collectPaths(v.Index(i), seen, out)
		}
	}
}

// configBucket is a Bucket whose configuration lists have n elements
// each, some with wrong types, so that a reading fills every list.
func configBucket(n int, prefix string) map[string]any {
	var enc, life, repl []any
	for i := range n {
		enc = append(enc, map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyID": prefix + "key"}})
		life = append(life, map[string]any{
			"id": prefix + "rule", "status": "Enabled", "prefix": prefix,
			"filter":                         map[string]any{"tag": map[string]any{"key": "k"}, "and": map[string]any{"tags": []any{}, "prefix": i}},
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": int64(i)},
		})
		repl = append(repl, map[string]any{"status": "Enabled", "destination": map[string]any{"bucket": "arn:aws:s3:::" + prefix}})
	}
	var owners []any
	for i := range n {
		owners = append(owners, map[string]any{"objectOwnership": prefix + "BucketOwnerEnforced"}, i)
	}
	return map[string]any{"spec": map[string]any{
		"acl": prefix + "private", "grantRead": prefix + "id=1", "grantWrite": n,
		"ownershipControls":       map[string]any{"rules": owners},
		"name":                    prefix + "bucket",
		"encryption":              map[string]any{"rules": enc},
		"lifecycle":               map[string]any{"rules": life},
		"replication":             map[string]any{"rules": repl},
		"objectLockConfiguration": map[string]any{"rule": map[string]any{"defaultRetention": map[string]any{"mode": prefix, "days": "x"}}},
	}}
}

// withoutRoom is v (a BucketConfig or a Bucket) with its empty lists
// nil, as a fresh reading leaves them: a reused view keeps their room.
func withoutRoom(v any) any {
	switch c := v.(type) {
	case BucketConfig:
		c.Encryptions, c.Lifecycles, c.Replications = nilIfEmpty(c.Encryptions), nilIfEmpty(c.Lifecycles), nilIfEmpty(c.Replications)
		return c
	case Bucket:
		c.Grants, c.OwnershipRules, c.Errors = nilIfEmpty(c.Grants), nilIfEmpty(c.OwnershipRules), nilIfEmpty(c.Errors)
		return c
	}
	panic(fmt.Sprintf("withoutRoom: %T", v))
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// The Bucket views cleared (or not) and read again read what new ones do,
// hold nothing of the object they read before once cleared, and leave the
// paths handed out by their earlier readings as they were.
func TestBucketViewsReadAfterClear(t *testing.T) {
	type reused struct {
		name  string
		read  func(map[string]any) any // into the kept view, which it returns (a pointer)
		fresh func(map[string]any) any
		clear func()
		lists func() []any // the kept view's lists, to their capacity
	}
	c, b := new(BucketConfig), new(Bucket)
	views := []reused{
		{"BucketConfig", func(o map[string]any) any { return c.Read(o) }, func(o map[string]any) any { return NewBucketConfig(o) }, c.Clear,
			func() []any {
				return []any{c.Encryptions[:cap(c.Encryptions)], c.Lifecycles[:cap(c.Lifecycles)], c.Replications[:cap(c.Replications)]}
			}},
		{"Bucket", func(o map[string]any) any { return b.Read(o, ReadMeta(o)) }, func(o map[string]any) any { return NewBucket(o) }, b.Clear,
			func() []any {
				return []any{b.Grants[:cap(b.Grants)], b.OwnershipRules[:cap(b.OwnershipRules)], b.Errors[:cap(b.Errors)]}
			}},
	}
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			var kept []Path
			var keptText []string
			objs := []map[string]any{configBucket(3, "a"), configBucket(1, "bb"), configBucket(0, ""), configBucket(4, "ccc")}
			for round, obj := range objs {
				if round%2 == 1 {
					// A view still holding a reading (one that panicked
					// before its Input could clear it): Read starts over.
					v.read(objs[round-1])
				}
				got := v.read(obj)
				if want := v.fresh(obj); !reflect.DeepEqual(withoutRoom(reflect.ValueOf(got).Elem().Interface()), withoutRoom(reflect.ValueOf(want).Elem().Interface())) {
					t.Fatalf("round %d: the reused view differs from a new one:\n%+v\n%+v", round, got, want)
				}
				for i, p := range kept {
					if p.String() != keptText[i] {
						t.Fatalf("round %d: a path of an earlier reading changed from %s to %s", round, keptText[i], p)
					}
				}
				var paths []Path
				collectPaths(reflect.ValueOf(got), map[uintptr]bool{}, &paths)
				for _, p := range paths {
					kept, keptText = append(kept, p), append(keptText, p.String())
				}

				v.clear()
				if !reflect.ValueOf(withoutRoom(reflect.ValueOf(got).Elem().Interface())).IsZero() {
					t.Fatalf("round %d: a cleared view holds %+v", round, got)
				}
				for _, l := range v.lists() {
					lv := reflect.ValueOf(l)
					for i := range lv.Len() {
						if !lv.Index(i).IsZero() {
							t.Fatalf("round %d: a cleared view's room holds %+v", round, lv.Index(i))
						}
					}
				}
			}
			if len(kept) < 40 {
				t.Fatalf("only %d paths checked", len(kept))
			}
		})
	}
}
