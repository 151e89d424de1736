package policy

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func cacheDoc(i int) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"s%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, i)
}

func TestCacheParsesOnce(t *testing.T) {
	c := NewCache(8, 1<<20)
	raw := cacheDoc(1)
	d1, p1 := c.Parse(raw, ResourcePolicy, Options{})
	d2, p2 := c.Parse(raw, ResourcePolicy, Options{})
	if d1 != d2 {
		t.Fatal("second parse of the same document did not come from the cache")
	}
	if len(p1) != 0 || len(p2) != 0 {
		t.Fatalf("problems: %v %v", p1, p2)
	}
	want, _ := Parse(raw, ResourcePolicy, Options{})
	if !reflect.DeepEqual(d1, want) {
		t.Fatal("cached document differs from a fresh parse")
	}
	// Another kind or other options are another document.
	if d3, _ := c.Parse(raw, IdentityPolicy, Options{}); d3 == d1 {
		t.Fatal("kind is not part of the key")
	}
	if d4, _ := c.Parse(raw, ResourcePolicy, Options{AllowCanonicalUser: true}); d4 == d1 {
		t.Fatal("options are not part of the key")
	}
	if s := c.Stats(); s.Hits != 1 || s.Misses != 3 || s.Entries != 3 {
		t.Fatalf("stats = %+v, want 1 hit, 3 misses, 3 entries", s)
	}
}

func TestCacheKeepsProblemsOfInvalidDocuments(t *testing.T) {
	c := NewCache(8, 1<<20)
	for _, raw := range []string{`{"Statement":`, `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}`} {
		want, wantP := Parse(raw, ResourcePolicy, Options{})
		for range 2 {
			got, gotP := c.Parse(raw, ResourcePolicy, Options{})
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotP, wantP) || len(gotP) == 0 {
				t.Fatalf("%s: got %v %v, want %v %v", raw, got, gotP, want, wantP)
			}
			// Appending to the problems must not reach the cached slice.
			_ = append(gotP, Problem{Message: "appended"})
		}
		if _, p := c.Parse(raw, ResourcePolicy, Options{}); len(p) != len(wantP) || !reflect.DeepEqual(p, wantP) {
			t.Fatalf("cached problems changed: %v", p)
		}
	}
}

func TestCacheBounds(t *testing.T) {
	t.Run("entries", func(t *testing.T) {
		c := NewCache(3, 1<<20)
		for i := range 5 {
			c.Parse(cacheDoc(i), ResourcePolicy, Options{})
		}
		if s := c.Stats(); s.Entries != 3 {
			t.Fatalf("entries = %d, want 3", s.Entries)
		}
		// The oldest went first: 0 and 1 are parsed again, 4 is not.
		c.Parse(cacheDoc(4), ResourcePolicy, Options{})
		c.Parse(cacheDoc(0), ResourcePolicy, Options{})
		if s := c.Stats(); s.Hits != 1 || s.Misses != 6 {
			t.Fatalf("stats = %+v, want 1 hit and 6 misses", s)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		one := len(cacheDoc(0))
		c := NewCache(100, 4*one+one/2)
		for i := range 10 {
			c.Parse(cacheDoc(i), ResourcePolicy, Options{})
		}
		if s := c.Stats(); s.Entries != 4 || s.Bytes != 4*one {
			t.Fatalf("stats = %+v, want 4 entries of %d bytes", s, one)
		}
	})
	t.Run("a document larger than a quarter of the bytes is not kept", func(t *testing.T) {
		c := NewCache(100, 1000)
		raw := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 400) + `","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`
		d1, _ := c.Parse(raw, ResourcePolicy, Options{})
		d2, _ := c.Parse(raw, ResourcePolicy, Options{})
		if d1 == nil || d1 == d2 || c.Stats().Entries != 0 {
			t.Fatalf("large document was cached: %+v", c.Stats())
		}
	})
}

func TestNilCacheParses(t *testing.T) {
	var c *Cache
	d, p := c.Parse(cacheDoc(1), ResourcePolicy, Options{})
	if d == nil || len(p) != 0 {
		t.Fatalf("nil cache: %v %v", d, p)
	}
	if c.Stats() != (CacheStats{}) {
		t.Fatal("nil cache has stats")
	}
}

// TestCacheConcurrentUse runs under the race detector in make test: many
// goroutines parsing and reading an overlapping set of documents.
func TestCacheConcurrentUse(t *testing.T) {
	c := NewCache(16, 1<<20)
	want := make([]*Document, 32)
	for i := range want {
		want[i], _ = Parse(cacheDoc(i), ResourcePolicy, Options{})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for n := range 400 {
				i := (n*7 + g) % len(want)
				d, _ := c.Parse(cacheDoc(i), ResourcePolicy, Options{})
				if d.Statements[0].Sid != want[i].Statements[0].Sid {
					errs <- fmt.Sprintf("document %d came back as %s", i, d.Statements[0].Sid)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if s := c.Stats(); s.Hits+s.Misses != 8*400 || s.Entries > 16 {
		t.Fatalf("stats = %+v", s)
	}
}
