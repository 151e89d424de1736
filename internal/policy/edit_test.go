package policy_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/policy"
)

const pretty = `{
  "Version": "2012-10-17",
  "Id": "BucketPolicy",
  "Statement": [
    {
      "Sid": "PublicWrite",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::b/*"
    },
    {
      "Sid": "PartnerRead",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    },
    {
      "Sid": "VpceOnly",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::b/*",
      "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}
    }
  ]
}
`

const newStmt = `{"Sid":"New","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`

func mustParseDoc(t *testing.T, raw string) *policy.Document {
	t.Helper()
	d, problems := policy.Parse(raw, policy.ResourcePolicy, policy.Options{})
	if len(problems) > 0 {
		t.Fatalf("problems: %q", problems)
	}
	return d
}

func TestRemoveStatements(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		drop    []int
		want    string
		wantOK  bool
		wantErr bool
	}{
		{
			name:   "first of three, pretty-printed",
			raw:    pretty,
			drop:   []int{0},
			wantOK: true,
			want: `{
  "Version": "2012-10-17",
  "Id": "BucketPolicy",
  "Statement": [
    {
      "Sid": "PartnerRead",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    },
    {
      "Sid": "VpceOnly",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::b/*",
      "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}
    }
  ]
}
`,
		},
		{
			name:   "middle one, pretty-printed",
			raw:    pretty,
			drop:   []int{1},
			wantOK: true,
			want: `{
  "Version": "2012-10-17",
  "Id": "BucketPolicy",
  "Statement": [
    {
      "Sid": "PublicWrite",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::b/*"
    },
    {
      "Sid": "VpceOnly",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::b/*",
      "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}
    }
  ]
}
`,
		},
		{
			name:   "two of three, pretty-printed",
			raw:    pretty,
			drop:   []int{2, 0},
			wantOK: true,
			want: `{
  "Version": "2012-10-17",
  "Id": "BucketPolicy",
  "Statement": [
    {
      "Sid": "PartnerRead",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    }
  ]
}
`,
		},
		{
			name:   "compact",
			raw:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"} , {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`,
			drop:   []int{1},
			wantOK: true,
			want:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`,
		},
		{
			name:   "nothing to drop keeps the text",
			raw:    pretty,
			drop:   nil,
			wantOK: true,
			want:   pretty,
		},
		{
			name:   "every statement",
			raw:    pretty,
			drop:   []int{0, 1, 2},
			wantOK: false,
		},
		{
			name:   "the single-object statement",
			raw:    `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`,
			drop:   []int{0},
			wantOK: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParseDoc(t, tt.raw)
			got, ok, err := policy.RemoveStatements(d, tt.drop)
			if err != nil {
				t.Fatalf("RemoveStatements: %v", err)
			}
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if _, problems := policy.Parse(got, policy.ResourcePolicy, policy.Options{}); len(problems) > 0 {
				t.Errorf("result does not parse: %q", problems)
			}
		})
	}
}

func TestAppendStatement(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{
			name: "pretty-printed, multi-line",
			raw:  pretty,
			want: `{
  "Version": "2012-10-17",
  "Id": "BucketPolicy",
  "Statement": [
    {
      "Sid": "PublicWrite",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::b/*"
    },
    {
      "Sid": "PartnerRead",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    },
    {
      "Sid": "VpceOnly",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::b/*",
      "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}
    },
    ` + newStmt + `
  ]
}
`,
		},
		{
			name: "single-object Statement becomes an array",
			raw:  `{"Version":"2012-10-17","Statement":{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},` + newStmt + `]}`,
		},
		{
			name: "single-object Statement, pretty-printed",
			raw: `{
  "Statement": {
    "Effect": "Allow",
    "Principal": {"AWS": "111122223333"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/*"
  }
}`,
			want: `{
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "111122223333"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/*"
  },` + newStmt + `]
}`,
		},
		{
			name: "one-element pretty array reuses its indentation",
			raw: `{
  "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
  ]
}`,
			want: `{
  "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
    ` + newStmt + `
  ]
}`,
		},
		{
			name: "compact array",
			raw:  `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*"}],"Version":"2012-10-17"}`,
			want: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*"},` + newStmt + `],"Version":"2012-10-17"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParseDoc(t, tt.raw)
			got, err := policy.AppendStatement(d, newStmt)
			if err != nil {
				t.Fatalf("AppendStatement: %v", err)
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			d2 := mustParseDoc(t, got)
			if len(d2.Statements) != len(d.Statements)+1 {
				t.Errorf("%d statements after append, want %d", len(d2.Statements), len(d.Statements)+1)
			}
			for i, s := range d.Statements {
				if a, b := tt.raw[s.Start:s.End], got[d2.Statements[i].Start:d2.Statements[i].End]; a != b {
					t.Errorf("statement %d changed:\n%s\n->\n%s", i, a, b)
				}
			}
		})
	}
}

func TestEditWithoutStatements(t *testing.T) {
	if _, err := policy.AppendStatement(nil, newStmt); err == nil {
		t.Error("AppendStatement(nil) succeeded")
	}
	d, _ := policy.Parse(`{"Version":"2012-10-17"}`, policy.ResourcePolicy, policy.Options{})
	if _, _, err := policy.RemoveStatements(d, []int{0}); err == nil {
		t.Error("RemoveStatements on a document without statements succeeded")
	}
}
