package reports_test

import (
	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/reports"
)

// The store is what the drift reconcilers report to.
var _ controllers.ResultSink = (*reports.Store)(nil)
