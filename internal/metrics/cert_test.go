package metrics

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func writeCert(t *testing.T, file string, notAfter time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "webhook"}, NotBefore: notAfter.Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	// A key block first: the expiry is the first certificate's.
	keyDER, _ := x509.MarshalECPrivateKey(key)
	out := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The gauge follows the file (rotation), and is absent, not zero, while
// no certificate is mounted.
func TestCertificateExpiry(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tls.crt")
	reg := prometheus.NewRegistry()
	if err := RegisterCertificateExpiry(reg, file); err != nil {
		t.Fatal(err)
	}
	if err := RegisterCertificateExpiry(reg, file); err != nil {
		t.Fatalf("a second registration: %v", err)
	}
	if n, err := testutil.GatherAndCount(reg, CertificateExpiryName); err != nil || n != 0 {
		t.Fatalf("without a certificate: %d series, %v", n, err)
	}
	for _, notAfter := range []time.Time{time.Unix(1900000000, 0), time.Unix(1950000000, 0)} {
		writeCert(t, file, notAfter)
		want := "# HELP " + CertificateExpiryName + " Expiry (Unix seconds) of the certificate the webhook server serves, read from its certificate folder at each scrape.\n" +
			"# TYPE " + CertificateExpiryName + " gauge\n" + CertificateExpiryName + " " + strconv.FormatInt(notAfter.Unix(), 10) + "\n"
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), CertificateExpiryName); err != nil {
			t.Errorf("expiry %s: %v", notAfter, err)
		}
	}
	if err := os.WriteFile(file, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CertificateNotAfter(file); err == nil {
		t.Error("a file without a certificate parsed")
	}
	if n, _ := testutil.GatherAndCount(reg, CertificateExpiryName); n != 0 {
		t.Errorf("an unreadable certificate exported %d series", n)
	}
}
