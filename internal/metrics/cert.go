package metrics

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// CertificateExpiryName is the gauge of the webhook serving certificate's
// expiry, what the chart's AckguardCertificateExpiresSoon alert watches.
const CertificateExpiryName = "ackguard_webhook_certificate_expiry_timestamp_seconds"

// certExpiry reads the certificate file at every scrape, so it follows
// rotation (ackguard's own or cert-manager's) without being told.
type certExpiry struct {
	file string
	desc *prometheus.Desc
}

func (c *certExpiry) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect exports nothing while the file is missing or unreadable (the
// certificate is not mounted yet): no made-up expiry to alert on.
func (c *certExpiry) Collect(ch chan<- prometheus.Metric) {
	notAfter, err := CertificateNotAfter(c.file)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(notAfter))
}

// CertificateNotAfter returns the expiry (Unix seconds) of the first
// certificate in a PEM file: the leaf the server presents.
func CertificateNotAfter(file string) (int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return 0, errors.New(file + ": no PEM certificate")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return 0, err
		}
		return cert.NotAfter.Unix(), nil
	}
}

// RegisterCertificateExpiry exports the expiry of the serving certificate
// in certFile (tls.crt of the webhook's certificate folder) on reg (the
// controller-runtime registry when nil). A second registration, as when
// several managers share a process in tests, keeps the first.
func RegisterCertificateExpiry(reg prometheus.Registerer, certFile string) error {
	if reg == nil {
		reg = crmetrics.Registry
	}
	_, err := register(reg, prometheus.Collector(&certExpiry{
		file: certFile,
		desc: prometheus.NewDesc(CertificateExpiryName,
			"Expiry (Unix seconds) of the certificate the webhook server serves, read from its certificate folder at each scrape.",
			nil, nil),
	}))
	return err
}
