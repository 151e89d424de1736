package rules

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/internal/jsonx"
	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/view"
)

var bucketKind = []schema.GroupKind{view.BucketGVK.GroupKind()}

// bucketPolicy is spec.policy of a Bucket, parsed once per evaluation.
type bucketPolicy struct {
	Path view.Path
	// Absent is true when there is no policy: the field is missing or
	// empty (ACK then deletes any bucket policy).
	Absent bool
	// TypeErr is set when spec.policy is not a string.
	TypeErr  *view.FieldError
	Doc      *policy.Document
	Problems []policy.Problem
}

// Valid reports whether there is a document every policy rule can judge.
func (p bucketPolicy) Valid() bool {
	return !p.Absent && p.TypeErr == nil && p.Doc != nil && len(p.Problems) == 0
}

// readBucketPolicy returns spec.policy, read and parsed once per
// evaluation whichever policy rules ask for it.
func readBucketPolicy(in *Input) bucketPolicy {
	if !in.bucketPolRead {
		in.bucketPol, in.bucketPolRead = parseBucketPolicy(in), true
	}
	return in.bucketPol
}

func parseBucketPolicy(in *Input) bucketPolicy {
	f := in.BucketPolicy()
	bp := bucketPolicy{Path: f.Path}
	switch {
	case f.Err != nil:
		bp.TypeErr = f.Err
	case !f.Present || strings.TrimSpace(f.Value) == "":
		bp.Absent = true
	default:
		bp.Doc, bp.Problems = in.Document(f.Value, policy.ResourcePolicy, policy.Options{
			MaxBytes: policy.MaxBucketPolicyBytes, AllowCanonicalUser: true,
		})
	}
	return bp
}

// invalidPolicyFinding is what every policy rule other than POL-001 reports
// for a document it cannot judge: never compliant, never silently passed.
func invalidPolicyFinding(bp bucketPolicy) []Finding {
	return []Finding{{
		Action:       Warn,
		Inconclusive: true,
		Path:         bp.Path,
		Message:      "cannot evaluate: the bucket policy is invalid (see POL-001)",
		Remedy:       "fix the policy document",
		Subject:      "invalid input",
	}}
}

// policyRule runs check on the bucket's policy when it is valid, reports
// invalid input otherwise, and passes when there is no policy.
func policyRule(check func(in *Input, bp bucketPolicy) []Finding) func(*Input) []Finding {
	return func(in *Input) []Finding {
		bp := readBucketPolicy(in)
		switch {
		case bp.Absent:
			return nil
		case !bp.Valid():
			return invalidPolicyFinding(bp)
		}
		return check(in, bp)
	}
}

// bucketARN returns the ARN of the bucket under evaluation, or of every
// object in it when objects is true, in its partition.
func bucketARN(in *Input, objects bool) string {
	b := in.Bucket()
	if objects {
		return "arn:" + in.Partition() + ":s3:::" + b.BucketName() + "/*"
	}
	return "arn:" + in.Partition() + ":s3:::" + b.BucketName()
}

// s3ReadActions are the read and list actions of S3-002.
var s3ReadActions = policy.ActionFamily{
	Globs: []string{"s3:get*", "s3:list*"},
	Members: []string{
		"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectTagging",
		"s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketLocation",
		"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts",
	},
}

// s3WriteActions are the write, delete, ACL- and policy-changing actions of
// S3-003.
var s3WriteActions = policy.ActionFamily{
	Globs: []string{"s3:put*", "s3:delete*", "s3:abortmultipartupload", "s3:restoreobject"},
	Members: []string{
		"s3:PutObject", "s3:PutObjectAcl", "s3:PutBucketPolicy", "s3:PutBucketAcl",
		"s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
		"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket", "s3:DeleteBucketPolicy",
		"s3:AbortMultipartUpload", "s3:RestoreObject",
	},
}

// publicGrants returns, for each statement that S3 would classify as public
// and that may allow an action of the family, the actions it allows.
func publicGrants(d *policy.Document, family policy.ActionFamily) []publicGrant {
	var out []publicGrant
	lit := d.VariablesAreLiteral() // catalog §10.1 A6
	for _, s := range d.Statements {
		r := s.Reach(policy.S3RestrictingKeys(), lit)
		if !r.Public {
			continue
		}
		if acts := s.AllowedFrom(family); len(acts) > 0 {
			out = append(out, publicGrant{Statement: s, Reach: r, Actions: acts})
		}
	}
	return out
}

type publicGrant struct {
	Statement *policy.Statement
	Reach     policy.Reach
	Actions   []string
}

func (g publicGrant) message() string {
	msg := g.Statement.Ref() + " allows " + quoteList(g.Actions, 4) + " to " + g.Reach.Who
	if len(g.Reach.Weak) > 0 {
		msg += " (" + strings.Join(g.Reach.Weak, "; ") + ")"
	}
	return msg
}

// notOnDirectoryBuckets runs check on general purpose buckets only. A
// directory bucket (S3 Express One Zone; its name ends in --x-s3) has
// Block Public Access on and ACLs off for good, supports no versioning,
// logging, Object Lock, notifications or replication, and takes policies
// in the s3express form; ACK rejects those fields on it as terminal
// (ACK's field notes, Bucket). The rules about them do not apply to it: it
// could never satisfy them, and a fix would write fields ACK rejects.
func notOnDirectoryBuckets(check func(*Input) []Finding) func(*Input) []Finding {
	return func(in *Input) []Finding {
		if isDirectoryBucket(in) {
			return nil
		}
		return check(in)
	}
}

// isDirectoryBucket reports whether the Bucket names a directory bucket,
// read once per evaluation (nine rules ask).
func isDirectoryBucket(in *Input) bool {
	if !in.directoryRead {
		name := view.BucketSpecName(in.spec())
		in.directory, in.directoryRead = name.Err == nil && strings.HasSuffix(name.Value, "--x-s3"), true
	}
	return in.directory
}

// statementSubject identifies a statement by what it says, as ACK
// compares documents (FIELDS.md: a string and a one-element array of it
// are the same, and so are "Principal": "*" and {"AWS": "*"}), its text's
// whitespace, the order of its members and how its strings are escaped
// aside: stable when other statements are reordered, added or removed,
// or the document re-indented or rendered by a tool that sorts keys or
// writes every list as an array (Helm's toJson, Terraform's jsonencode).
// What IAM does not read as a difference is no difference either: its
// Sid (a label), the case of its action names (catalog §10.1 D1) and the
// order of the values of a list (each list of an element, a principal or
// a condition is a set: any of its values). A statement that says what
// another of the same document says, Sid aside, is the same finding, as
// two copies of one statement are. What IAM reads differently is a
// difference though the text is the same: a statement holding "${" in a
// document whose Version makes it literal text (missing or 2008-10-17,
// catalog §10.1 A6) is not the statement whose "${...}" IAM resolves as a
// policy variable (a subject condition pinned to a literal value, a
// variable the caller fills in, once the Version is 2012-10-17).
func statementSubject(d *policy.Document, s *policy.Statement) string {
	text := canonicalStatement(d.Raw[s.Start:s.End])
	if d.VariablesAreLiteral() && strings.Contains(text, "${") {
		return text + "\x00literal variables"
	}
	return text
}

// canonicalStatement is the well-formed JSON text of a statement with
// its Sid left out, the values of its Action and NotAction lower-cased,
// the values of every list of strings, numbers and booleans sorted and a
// one-element one written as the value, a Principal or NotPrincipal "*"
// as {"AWS":"*"}, the members of every object sorted by name, its strings
// escaped alike and no whitespace between its tokens; numbers keep their
// text. It is compactJSON(s) for a text jsontext cannot format (not JSON,
// a name twice, invalid UTF-8).
func canonicalStatement(s string) string {
	if out, ok := canonicalPlain(s); ok {
		return out
	}
	return canonicalFormatted(s)
}

// canonicalFormatted is canonicalStatement for any text: jsontext formats
// it (validated, its strings escaped alike, its members sorted) and
// canonicalValue rewrites what it formatted.
func canonicalFormatted(s string) string {
	v := jsontext.Value(s)
	if err := v.Format(jsontext.ReorderRawObjects(true)); err != nil {
		return compactJSON(s)
	}
	out, _ := canonicalValue(make([]byte, 0, len(v)), v, 0, false, true)
	return string(out)
}

// canonicalValue appends the formatted JSON value (no whitespace, strings
// escaped alike, members sorted) at b[i] to out as canonicalStatement
// writes it, and returns the offset just past it. action is whether the
// value is (or is a list of) the statement's Action or NotAction, top
// whether it is the statement itself.
func canonicalValue(out, b []byte, i int, action, top bool) ([]byte, int) {
	switch {
	case i >= len(b):
		return out, i
	case b[i] == '{':
		out = append(out, '{')
		i++
		first := true
		for i < len(b) && b[i] != '}' {
			if b[i] == ',' {
				i++
			}
			end := jsonStringEnd(b, i)
			name := b[i:end]
			i = end + 1 // the colon
			if top && string(name) == `"Sid"` {
				i = jsonValueEnd(b, i)
				continue
			}
			if !first {
				out = append(out, ',')
			}
			first = false
			out = append(out, name...)
			out = append(out, ':')
			if top && (string(name) == `"Principal"` || string(name) == `"NotPrincipal"`) {
				if v := b[i:jsonValueEnd(b, i)]; string(v) == `"*"` || string(v) == `["*"]` {
					out = append(out, `{"AWS":"*"}`...)
					i += len(v)
					continue
				}
			}
			a := action
			if top {
				a = string(name) == `"Action"` || string(name) == `"NotAction"`
			}
			out, i = canonicalValue(out, b, i, a, false)
		}
		return append(out, '}'), i + 1
	case b[i] == '[':
		// A list of strings, numbers and booleans is a set: its values
		// sorted, one written as the value; any other list keeps its
		// order.
		n, sorted := 0, true
		var prev []byte
		j := i + 1
		for j < len(b) && b[j] != ']' {
			if b[j] == ',' {
				j++
			}
			end, ok := scalarEnd(b, j)
			if !ok {
				n = -1
				break
			}
			if prev != nil && compareScalars(prev, b[j:end], action) > 0 {
				sorted = false
			}
			prev, n, j = b[j:end], n+1, end
		}
		if n >= 0 && j < len(b) {
			var vals [][]byte // only for a list to sort
			if !sorted {
				vals = make([][]byte, 0, n)
				for k := i + 1; k < j; {
					if b[k] == ',' {
						k++
					}
					end, _ := scalarEnd(b, k)
					vals, k = append(vals, b[k:end]), end
				}
				slices.SortFunc(vals, func(x, y []byte) int { return compareScalars(x, y, action) })
			}
			if n != 1 {
				out = append(out, '[')
			}
			for k, v := i+1, 0; k < j; v++ {
				if b[k] == ',' {
					k++
					out = append(out, ',')
				}
				end, _ := scalarEnd(b, k)
				val := b[k:end]
				if vals != nil {
					val = vals[v]
				}
				out, k = appendScalar(out, val, action), end
			}
			if n != 1 {
				out = append(out, ']')
			}
			return out, j + 1
		}
		out = append(out, '[')
		i++
		for n := 0; i < len(b) && b[i] != ']'; n++ {
			if b[i] == ',' {
				i++
			}
			if n > 0 {
				out = append(out, ',')
			}
			out, i = canonicalValue(out, b, i, action, false)
		}
		return append(out, ']'), i + 1
	}
	end := jsonValueEnd(b, i)
	return appendScalar(out, b[i:end], action), end
}

// appendScalar appends the formatted JSON scalar v to out, a string
// lower-cased when it is an action name (IAM reads action names
// regardless of case, catalog §10.1 D1).
func appendScalar(out, v []byte, action bool) []byte {
	n := len(out)
	out = append(out, v...)
	if action && len(v) > 0 && v[0] == '"' {
		lowerASCII(out[n:])
	}
	return out
}

// compareScalars orders two formatted JSON scalars by their text, an
// action name's lower-cased.
func compareScalars(x, y []byte, action bool) int {
	if !action || x[0] != '"' || y[0] != '"' {
		return bytes.Compare(x, y)
	}
	for k := 0; k < len(x) && k < len(y); k++ {
		if a, b := policy.LowerASCII(x[k]), policy.LowerASCII(y[k]); a != b {
			return int(a) - int(b)
		}
	}
	return len(x) - len(y)
}

func lowerASCII(b []byte) {
	for k, c := range b {
		b[k] = policy.LowerASCII(c)
	}
}

// jsonValueEnd returns the offset just past the value that starts at b[i]
// in formatted JSON.
func jsonValueEnd(b []byte, i int) int {
	if end, ok := scalarEnd(b, i); ok {
		return end
	}
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			j = jsonStringEnd(b, j) - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j
			}
			depth--
			if depth == 0 {
				return j + 1
			}
		case ',', ':':
			if depth == 0 {
				return j
			}
		}
	}
	return len(b)
}

// jsonStringEnd returns the offset just past the string that starts at
// b[i] (a quote) in formatted JSON.
func jsonStringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// scalarEnd returns the offset just past the string, number or boolean
// that starts at b[i] in formatted JSON (ok false for anything else).
func scalarEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return jsonStringEnd(b, i), true
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(b) && strings.IndexByte("+-.eE0123456789", b[j]) >= 0 {
			j++
		}
		return j, true
	case bytes.HasPrefix(b[i:], []byte("true")):
		return i + 4, true
	case bytes.HasPrefix(b[i:], []byte("false")):
		return i + 5, true
	}
	return i, false
}

// compactJSON is the well-formed JSON text s without the whitespace
// between its tokens, so that a statement re-indented by an UPDATE is the
// same statement; s itself when it has none.
func compactJSON(s string) string {
	if !strings.ContainsAny(s, " \t\n\r") {
		return s
	}
	b := make([]byte, 0, len(s))
	var str jsonx.StringState
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !str.Step(c) && (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func quoteList(items []string, limit int) string {
	if len(items) > limit {
		return strings.Join(items[:limit], ", ") + " and " + strconv.Itoa(len(items)-limit) + " more"
	}
	return strings.Join(items, ", ")
}

// fieldErrorFinding reports a field of the wrong type as invalid input:
// the rule cannot judge it, so it reports the field with its own action
// instead of passing it unseen.
func fieldErrorFinding(err *view.FieldError) Finding {
	return Finding{
		Path:    err.Path,
		Message: "invalid input: " + strings.TrimPrefix(err.Error(), err.Path.String()+": "),
		Remedy:  "set the field to " + err.Want() + ", as the ACK CRD defines it",
		Subject: "invalid input",
	}
}
