package rules_test

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

// CatalogEnv names the rule catalog (RULES.md) the registry is checked
// against; .ci/run sets it when the catalog sits beside the clone.
const CatalogEnv = "RULES_CATALOG"

// catalogDeviations are the registry's deliberate departures from the
// catalog's defaults, each recorded where the rule is built.
var catalogDeviations = map[string]string{
	// lmb_009.go: issue 4 asks for a warning (a pattern list guesses).
	"LMB-009": "warn/audit",
}

// TestRegistryMatchesCatalog compares every rule's metadata with its row of
// the rule catalog ($RULES_CATALOG): severity, opt-in, the default
// admission and reconciler actions, whether a fix may exist, and the
// Security Hub (FSBP), AWS Config, Checkov and CIS IDs users map findings
// by. An ID the catalog gives outside parentheses must be in the rule's
// References; an ID in the References must be in the row (a note in
// parentheses, such as "also EC2.13", may name it).
func TestRegistryMatchesCatalog(t *testing.T) {
	path := os.Getenv(CatalogEnv)
	if path == "" {
		t.Skip(CatalogEnv + " not set: the rule catalog is not available")
	}
	rows, cisVersions := readCatalog(t, path)
	reg := rules.Default()
	for _, r := range reg.Rules() {
		if _, ok := rows[r.ID]; !ok {
			t.Errorf("%s: no row in the catalog", r.ID)
		}
	}
	for id := range rows {
		if reg.Rule(id) == nil {
			t.Errorf("%s: in the catalog, not in the registry", id)
		}
	}
	for _, r := range reg.Rules() {
		row, ok := rows[r.ID]
		if !ok {
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			if sev := severityRe.FindString(row["Sev"]); sev != string(r.Severity) {
				t.Errorf("severity %s, catalog %q", r.Severity, row["Sev"])
			}
			optIn := strings.Contains(row["ID"], "[opt-in")
			if r.OptIn != optIn {
				t.Errorf("OptIn %v, catalog %q", r.OptIn, row["ID"])
			}
			// Default actions: the last bold text of "Risk → default".
			bold := boldRe.FindAllStringSubmatch(row["Risk → default"], -1)
			if len(bold) == 0 {
				t.Fatalf("no default in %q", row["Risk → default"])
			}
			def := bold[len(bold)-1][1]
			none := strings.HasPrefix(row["Remediation"], "NONE")
			if want, ok := catalogDefault(def, none); ok {
				if d, dev := catalogDeviations[r.ID]; dev {
					want = d
				}
				if got := string(r.Admission) + "/" + string(r.Remediation); got != want {
					t.Errorf("defaults %s, catalog %q", got, def)
				}
			} else if !r.OptIn {
				t.Errorf("on by default, catalog default %q", def)
			}
			// A fix only where the catalog allows one; an on-by-default fix
			// where it asks for one.
			if none && (r.Fixer != nil || r.Remediation == rules.Fix) {
				t.Errorf("has a fix, catalog remediation %q", row["Remediation"])
			}
			if r.Remediation == rules.Fix && r.Fixer == nil {
				t.Error("remediation fix without a Fixer")
			}
			refs := []struct {
				col  string
				re   *regexp.Regexp
				code []string
			}{
				{"FSBP", fsbpRe, r.References.FSBP},
				{"Config", configRe, r.References.Config},
				{"Checkov", checkovRe, r.References.Checkov},
			}
			for _, ref := range refs {
				cell, ok := row[ref.col]
				if !ok {
					if len(ref.code) > 0 {
						t.Errorf("%s %v, the catalog has no %s column here", ref.col, ref.code, ref.col)
					}
					continue
				}
				required := catalogIDs(ref.re, withoutBackticks(stripParens(cell)))
				allowed := catalogIDs(ref.re, cell)
				for _, id := range required {
					if !slices.Contains(ref.code, id) {
						t.Errorf("%s: catalog gives %s (%q), References %v", ref.col, id, cell, ref.code)
					}
				}
				for _, id := range ref.code {
					if !slices.Contains(allowed, id) {
						t.Errorf("%s: References give %s, catalog %q", ref.col, id, cell)
					}
				}
			}
			cell, ok := row["CIS"]
			if !ok {
				if len(r.References.CIS) > 0 {
					t.Errorf("CIS %v, the catalog has no CIS column here", r.References.CIS)
				}
				return
			}
			want, err := catalogCIS(cell, cisVersions)
			if err != "" {
				t.Fatalf("CIS %q: %s", cell, err)
			}
			if !slices.Equal(slices.Sorted(slices.Values(r.References.CIS)), slices.Sorted(slices.Values(want))) {
				t.Errorf("CIS %v, catalog %q (%v)", r.References.CIS, cell, want)
			}
		})
	}
}

var (
	severityRe = regexp.MustCompile(`Critical|High|Medium|Low`)
	boldRe     = regexp.MustCompile(`\*\*(.+?)\*\*`)
	ruleIDRe   = regexp.MustCompile(`^[A-Z0-9]+-\d{3}\b`)
	// "RDS.47/48" names RDS.47 and RDS.48; "CKV_AWS_24/25" likewise.
	fsbpRe    = regexp.MustCompile(`\b((?:S3|RDS|IAM|EC2|Lambda)\.)(\d+(?:/\d+)*)`)
	checkovRe = regexp.MustCompile(`\b(CKV2?_AWS_)(\d+(?:/\d+)*)`)
	// Config rule identifiers are kebab-case; "rds-pgsql-/rds-mysql-x"
	// names rds-pgsql-x and rds-mysql-x.
	configRe     = regexp.MustCompile(`\b[a-z0-9]+-(?:[a-z0-9]+-)*(?:/[a-z0-9]+-(?:[a-z0-9]+-)*)*[a-z0-9]+\b|\b[a-z0-9]+-(?:[a-z0-9]+-)*/`)
	parensRe     = regexp.MustCompile(`\([^()]*\)`)
	backticksRe  = regexp.MustCompile("`[^`]*`")
	cisVersionRe = regexp.MustCompile(`v\d+\.\d+\.\d+`)
	cisIDRe      = regexp.MustCompile(`^\d+(\.\d+)*$`)
)

// readCatalog returns the catalog's rule rows, each a map from its table's
// column names to cells, and the CIS versions of the legend, in the order
// the CIS cells give them.
func readCatalog(t *testing.T, path string) (map[string]map[string]string, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]map[string]string{}
	var header, cisVersions []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			header = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case cells[0] == "ID":
			header = cells
		case cells[0] == "CIS" && len(cells) > 1:
			cisVersions = cisVersionRe.FindAllString(cells[1], -1)
		case header != nil:
			id := ruleIDRe.FindString(cells[0])
			if id == "" {
				continue
			}
			if len(cells) != len(header) {
				t.Fatalf("%s: %d cells, header %d", id, len(cells), len(header))
			}
			if _, dup := rows[id]; dup {
				t.Fatalf("%s: two rows", id)
			}
			row := map[string]string{}
			for i, h := range header {
				row[h] = cells[i]
			}
			rows[id] = row
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || len(cisVersions) == 0 {
		t.Fatalf("%s: %d rule rows, CIS versions %v: not the rule catalog?", path, len(rows), cisVersions)
	}
	return rows, cisVersions
}

// catalogDefault reads a default such as "deny / fix", "deny on create /
// audit", "warn (deny opt-in) / audit", "deny for ...; warn otherwise /
// audit", "deny when ..., warn otherwise / audit" (the rule's default is
// the "otherwise" one; its findings may say more) or "warn" (remediation audit, as the rule has no fix). "off" gives
// false.
func catalogDefault(def string, none bool) (string, bool) {
	if strings.TrimSpace(def) == "off" {
		return "", false
	}
	adm, rem, _ := strings.Cut(def, "/")
	if i := strings.LastIndexAny(adm, ";,"); i >= 0 && strings.Contains(adm[i:], "otherwise") {
		adm = adm[i+1:]
	}
	admission := strings.Fields(stripParens(adm))[0]
	remediation := "audit"
	if f := strings.Fields(rem); len(f) > 0 && strings.HasPrefix(f[0], "fix") {
		remediation = "fix"
	}
	return admission + "/" + remediation, true
}

// catalogIDs returns the IDs re finds in s, with "X.47/48" and
// "a-b-/c-d-rest" expanded.
func catalogIDs(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		if len(m) == 3 { // prefix, numbers
			for _, n := range strings.Split(m[2], "/") {
				out = append(out, m[1]+n)
			}
			continue
		}
		parts := strings.Split(m[0], "/")
		last := parts[len(parts)-1]
		if last == "" {
			continue // a dangling "x-/": the next match completes it
		}
		out = append(out, last)
		lastWords := strings.Split(last, "-")
		for _, p := range parts[:len(parts)-1] {
			// p is a prefix ("rds-pgsql-"): it replaces as many words
			// of the last name.
			n := len(strings.Split(strings.TrimSuffix(p, "-"), "-"))
			if n < len(lastWords) {
				out = append(out, p+strings.Join(lastWords[n:], "-"))
			}
		}
	}
	return out
}

// catalogCIS reads a CIS cell ("2.1.4 / 2.1.4 / 2.1.5 / –", notes in
// parentheses aside) into the References form ("v5.0.0 2.1.4").
func catalogCIS(cell string, versions []string) ([]string, string) {
	s := strings.TrimSpace(stripParens(cell))
	if s == "" || s == "–" || s == "—" {
		return nil, ""
	}
	parts := strings.Split(s, "/")
	if len(parts) != len(versions) {
		return nil, "not one entry per version " + strings.Join(versions, ", ")
	}
	var out []string
	for i, p := range parts {
		for _, id := range strings.Split(p, ",") {
			id = strings.TrimSpace(id)
			switch {
			case id == "–" || id == "—":
			case cisIDRe.MatchString(id):
				out = append(out, versions[i]+" "+id)
			default:
				return nil, "unreadable entry " + id
			}
		}
	}
	return out, ""
}

func stripParens(s string) string {
	for {
		t := parensRe.ReplaceAllString(s, "")
		if t == s {
			return s
		}
		s = t
	}
}

func withoutBackticks(s string) string { return backticksRe.ReplaceAllString(s, "") }
