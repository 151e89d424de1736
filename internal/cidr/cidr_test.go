package cidr

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means an error is expected
	}{
		{name: "host bits masked to the whole space", in: "10.1.2.3/0", want: "0.0.0.0/0"},
		{name: "host bits masked", in: "10.1.2.3/8", want: "10.0.0.0/8"},
		{name: "canonical IPv4", in: "192.168.0.0/16", want: "192.168.0.0/16"},
		{name: "surrounding space trimmed", in: "  172.16.0.0/12\t", want: "172.16.0.0/12"},
		{name: "bare IPv4 is a /32", in: "8.8.8.8", want: "8.8.8.8/32"},
		{name: "bare IPv6 is a /128 and normalised", in: "2001:DB8:0:0::1", want: "2001:db8::1/128"},
		{name: "IPv6 normalised and masked", in: "2001:0DB8:0000::FFFF/32", want: "2001:db8::/32"},
		{name: "IPv6 whole space", in: "::/0", want: "::/0"},
		{name: "IPv4-mapped bare address unmapped", in: "::ffff:10.0.0.1", want: "10.0.0.1/32"},
		{name: "IPv4-mapped prefix unmapped", in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
		{name: "IPv4-mapped /96 is the whole IPv4 space", in: "::ffff:0.0.0.0/96", want: "0.0.0.0/0"},
		// A prefix shorter than /96 reaches beyond the IPv4-mapped block:
		// it stays an IPv6 prefix (it used to come back invalid, with no
		// error).
		{name: "IPv4-mapped prefix shorter than /96 stays IPv6", in: "::ffff:0.0.0.0/80", want: "::/80"},
		{name: "zone dropped from a bare link-local address", in: "fe80::1%eth0", want: "fe80::1/128"},
		{name: "empty", in: "", want: ""},
		{name: "garbage", in: "not-an-ip", want: ""},
		{name: "prefix too long for IPv4", in: "10.0.0.0/33", want: ""},
		{name: "prefix too long for IPv6", in: "::/129", want: ""},
		{name: "negative prefix", in: "10.0.0.0/-1", want: ""},
		{name: "short IPv4", in: "10.0.0/8", want: ""},
		{name: "missing prefix length", in: "10.0.0.0/", want: ""},
		{name: "octet out of range", in: "256.0.0.0/8", want: ""},
		{name: "zone in a prefix", in: "fe80::%eth0/64", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !got.IsValid() {
				t.Fatalf("Parse(%q) = invalid prefix without an error", tt.in)
			}
			if got.String() != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func mustParse(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return p
}

func TestIsWide(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0.0.0.0/0", true},
		{"0.0.0.0/1", true},
		{"128.0.0.0/7", true},
		{"10.0.0.0/8", false}, // /8 is the threshold, not below it
		{"10.0.0.0/16", false},
		{"8.8.8.8", false},
		{"::/0", true},
		{"2000::/3", true},
		{"2001::/15", true},
		{"2001::/16", false},
		{"2001:db8::/32", false},
		{"::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsWide(mustParse(t, tt.in)); got != tt.want {
				t.Errorf("IsWide(%s) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsPrivate(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"10.0.0.0/8", true},
		{"10.1.2.0/24", true},
		{"10.0.0.0/7", false}, // wider than 10/8: includes 11/8
		{"172.16.0.0/12", true},
		{"172.31.255.255", true},
		{"172.32.0.0/16", false},
		{"192.168.1.1", true},
		{"192.169.0.0/16", false},
		{"100.64.0.0/10", true},
		{"100.128.0.0/10", false},
		{"127.0.0.1", true},
		{"169.254.169.254", true},
		{"8.8.8.8", false},
		{"0.0.0.0/0", false},
		{"::ffff:10.0.0.1", true}, // IPv4-mapped, unmapped by Parse
		{"fd00::/8", true},
		{"fc00::/7", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"::1", true},
		{"2001:db8::/32", false},
		{"::/0", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsPrivate(mustParse(t, tt.in)); got != tt.want {
				t.Errorf("IsPrivate(%s) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// slash8s returns the 256 IPv4 /8 prefixes, optionally without one.
func slash8s(skip int) []string {
	var out []string
	for i := 0; i < 256; i++ {
		if i != skip {
			out = append(out, fmt.Sprintf("%d.0.0.0/8", i))
		}
	}
	return out
}

func TestCoversFamily(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		v4   bool
		want bool
	}{
		{name: "empty", in: nil, v4: true, want: false},
		{name: "v4 whole space", in: []string{"0.0.0.0/0"}, v4: true, want: true},
		{name: "v4 two halves", in: []string{"0.0.0.0/1", "128.0.0.0/1"}, v4: true, want: true},
		{name: "v4 two halves in reverse order", in: []string{"128.0.0.0/1", "0.0.0.0/1"}, v4: true, want: true},
		{name: "v4 one half", in: []string{"0.0.0.0/1"}, v4: true, want: false},
		{name: "v4 upper half only", in: []string{"128.0.0.0/1"}, v4: true, want: false},
		{name: "v4 overlapping pieces", in: []string{"0.0.0.0/1", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"}, v4: true, want: true},
		{name: "v4 gap at the top", in: []string{"0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"}, v4: true, want: false},
		{name: "v4 gap in the middle", in: []string{"0.0.0.0/2", "128.0.0.0/1"}, v4: true, want: false},
		{name: "all 256 /8s", in: slash8s(-1), v4: true, want: true},
		{name: "255 /8s, 77/8 missing", in: slash8s(77), v4: true, want: false},
		{name: "255 /8s, 255/8 missing", in: slash8s(255), v4: true, want: false},
		{name: "255 /8s, 0/8 missing", in: slash8s(0), v4: true, want: false},
		{name: "v4 whole space asked for v6", in: []string{"0.0.0.0/0"}, v4: false, want: false},
		{name: "v6 whole space", in: []string{"::/0"}, v4: false, want: true},
		{name: "v6 two halves", in: []string{"8000::/1", "::/1"}, v4: false, want: true},
		{name: "v6 one half", in: []string{"::/1"}, v4: false, want: false},
		{name: "v6 whole space asked for v4", in: []string{"::/0"}, v4: true, want: false},
		{name: "mixed families", in: []string{"0.0.0.0/1", "::/1", "128.0.0.0/1"}, v4: true, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []netip.Prefix
			for _, s := range tt.in {
				ps = append(ps, mustParse(t, s))
			}
			if got := CoversFamily(ps, tt.v4); got != tt.want {
				t.Errorf("CoversFamily(%v, v4=%v) = %v, want %v", tt.in, tt.v4, got, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want bool
	}{
		{name: "empty", in: nil, want: false},
		{name: "IPv4 any", in: []string{"0.0.0.0/0"}, want: true},
		{name: "IPv6 any", in: []string{"::/0"}, want: true},
		{name: "host bits do not hide the whole space", in: []string{"10.1.2.3/0"}, want: true},
		{name: "one wide IPv4 prefix among narrow ones", in: []string{"203.0.113.0/24", "64.0.0.0/7"}, want: true},
		{name: "one wide IPv6 prefix", in: []string{"2001::/15"}, want: true},
		{name: "union of two halves", in: []string{"0.0.0.0/1", "128.0.0.0/1"}, want: true},
		{name: "union of 256 /8s (none wide alone)", in: slash8s(-1), want: true},
		{name: "255 /8s", in: slash8s(10), want: false},
		{name: "a /8 is not wide", in: []string{"10.0.0.0/8"}, want: false},
		{name: "office ranges", in: []string{"203.0.113.0/24", "198.51.100.7", "2001:db8::/32"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []netip.Prefix
			for _, s := range tt.in {
				ps = append(ps, mustParse(t, s))
			}
			if got := Open(ps); got != tt.want {
				t.Errorf("Open(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSubtract(t *testing.T) {
	pfx := func(ss ...string) []netip.Prefix {
		out := make([]netip.Prefix, len(ss))
		for i, s := range ss {
			out[i] = mustParse(t, s)
		}
		return out
	}
	cases := []struct {
		p     string
		minus []string
		open  bool
		empty bool
	}{
		{"0.0.0.0/0", nil, true, false},
		{"0.0.0.0/0", []string{"0.0.0.0/0"}, false, true},
		{"0.0.0.0/0", []string{"0.0.0.0/1", "128.0.0.0/1"}, false, true},
		{"0.0.0.0/0", []string{"10.0.0.0/8", "192.0.2.7/32"}, true, false},
		{"10.0.0.0/8", []string{"0.0.0.0/0"}, false, true},
		{"10.0.0.0/8", []string{"::/0"}, false, false},
		{"::/0", []string{"2001:db8::/32"}, true, false},
		{"203.0.113.0/24", []string{"203.0.113.128/25"}, false, false},
	}
	for _, tc := range cases {
		got := Subtract(mustParse(t, tc.p), pfx(tc.minus...))
		if Open(got) != tc.open || (len(got) == 0) != tc.empty {
			t.Errorf("%s minus %v = %v (open %v)", tc.p, tc.minus, got, Open(got))
		}
		for _, g := range got {
			for _, m := range pfx(tc.minus...) {
				if g.Overlaps(m) {
					t.Errorf("%s minus %v keeps %s, which overlaps %s", tc.p, tc.minus, g, m)
				}
			}
		}
	}
	if got := Subtract(mustParse(t, "203.0.113.0/24"), pfx("203.0.113.128/25")); len(got) != 1 || got[0].String() != "203.0.113.0/25" {
		t.Errorf("203.0.113.0/24 minus its upper half = %v", got)
	}
}
