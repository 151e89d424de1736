package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/cmdutil"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/owners"
	"github.com/ackguard/ackguard/internal/resolve"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
	"github.com/ackguard/ackguard/internal/webhookconfig"
)

// MaxInputBytes is the largest document scan reads, and the largest file
// or standard input it reads whole; a larger one is read as a stream of
// documents, one at a time.
const MaxInputBytes = 16 << 20

// MaxSpoolBytes is the most scan keeps of an input it can read only once
// (standard input, a pipe, a FIFO) that is larger than MaxInputBytes: it
// copies such an input to a temporary file, to read it in both passes,
// and refuses a larger one rather than fill the disk. A regular file is
// read where it lies, at any size.
const MaxSpoolBytes = 1 << 30

// spoolLimit is MaxSpoolBytes (a variable so that tests keep less).
var spoolLimit int64 = MaxSpoolBytes

// streamAbove is the size above which an input is read as a stream of
// documents: MaxInputBytes (a variable so that tests stream small inputs).
var streamAbove = MaxInputBytes

// Output formats.
const (
	OutputText  = "text"
	OutputJSON  = "json"
	OutputSARIF = "sarif"
	OutputJUnit = "junit"
)

// What fails the scan (exit code 1), --fail-on.
const (
	// FailOnDeny fails when a resource would be denied (the default).
	FailOnDeny = "deny"
	// FailOnWarn fails when a resource would be denied or admitted with
	// warnings.
	FailOnWarn = "warn"
	// FailOnNever never fails on findings; input errors still exit 2.
	FailOnNever = "never"
)

// Options configure a scan.
type Options struct {
	// Output is OutputText or OutputJSON; Scan ignores it, Write uses it.
	Output string
	// Config is the cluster configuration the rules need.
	Config rules.Config
	// Registry is the rule set; nil means rules.Default().
	Registry *rules.Registry
	// Policies are more paths (files, directories, "-") to read
	// GuardrailPolicy, GuardrailException and Namespace objects from;
	// other documents there are skipped. Such objects are read from the
	// scanned paths too.
	Policies []string
	// Base are paths (files, directories, "-") holding the resources as
	// they are before the change scanned: the target branch's manifests,
	// or an export of the cluster. A resource found there under the same
	// kind, namespace and name is judged as the UPDATE from it, as the
	// webhook judges it (what it already had is a warning, not a
	// denial); the others as their creation. Only guarded resources are
	// read there; a rule reads the base's copy of one it refers to
	// (referenced) that the scanned paths do not hold.
	Base []string
	// Now is the time exceptions are judged at; zero means time.Now().
	Now time.Time
	// Rules, when not empty, keeps only the findings of rules whose ID
	// matches one of these globs (path.Match syntax: "S3-001", "IAM-*");
	// SkipRules drops the findings of rules matching one of its globs.
	// The other findings neither deny nor warn: a first adoption can gate
	// on a few rules and widen the set later.
	Rules, SkipRules []string
	// Exclude are globs (path.Match syntax) of paths not to read while
	// walking a directory: a glob matches the path as found (slash
	// separated) or, without a slash, any one name in it ("*_test.yaml",
	// "vendor", "charts/*/ci"); slashes that end a glob are dropped
	// ("vendor/" is "vendor").
	Exclude []string
	// FailOn is FailOnDeny (when ""), FailOnWarn or FailOnNever; it only
	// changes the exit code (Report.ExitCodeFor).
	FailOn string
	// Color colours the text output (a terminal without NO_COLOR).
	Color bool
	// NoKustomize reads a directory holding a kustomization as plain
	// files instead of building it (--kustomize=false).
	NoKustomize bool
	// Values are values files merged, in order, over the default values
	// of every chart rendered (--values).
	Values []string
	// APIVersions are more API versions a chart's templates see served
	// (.Capabilities.APIVersions, helm template --api-versions: "group/version"
	// or "group/version/Kind"), beside helm's defaults and those of the
	// kinds ackguard guards.
	APIVersions []string
	// Namespace is the namespace the namespaced objects that name none
	// are judged in, as kubectl apply -n creates them there (--namespace);
	// "" means DefaultNamespace. Cluster-scoped kinds (a Namespace, a
	// GuardrailPolicy) stay without one.
	Namespace string
	// ReleaseName and ReleaseNamespace are those of the release a chart
	// is rendered for; "" means DefaultReleaseName and Namespace (helm
	// template -n sets both). A chart's objects that name no namespace
	// are judged in ReleaseNamespace.
	ReleaseName, ReleaseNamespace string
	// ACKNamespace is the namespace of the ACK controllers: ACK's
	// cross-account role map ConfigMaps name owner accounts only there, as
	// the manager reads them only from its --ack-namespace; "" reads none.
	// (The flag defaults to owners.DefaultACKNamespace.)
	ACKNamespace string
}

// Report is the result of a scan; its JSON encoding is the published
// interface described in the package documentation.
type Report struct {
	Findings []Finding    `json:"findings"`
	Errors   []InputError `json:"errors"`
	Summary  Summary      `json:"summary"`
	// Exempted are the findings a GuardrailException in force exempts:
	// admission admits them, so they are not in Findings (extension).
	Exempted []Exempted `json:"exempted"`
	// Policies are the GuardrailPolicies in force, in input order, or the
	// built-in baseline alone when the input has none (extension).
	Policies []Policy `json:"policies"`
	// Exceptions are the GuardrailExceptions read, in input order, with
	// their state at the scan's time (extension).
	Exceptions []Exception `json:"exceptions"`
	// Notes say what the scan skipped that a reader could expect it to
	// read (Helm templates outside their chart, a library chart, a PATH
	// that holds no object, an object of a kind near one ackguard guards
	// in its ACK group: these two are Warnings too), and
	// the namespaces judged without their labels (no Namespace object in
	// the input while a policy selects namespaces by labels); never an
	// error (extension).
	Notes []string `json:"notes"`
	// OwnerAccounts are the owner accounts the scan judged with, each with
	// where it came from: --owner-account, a Namespace's
	// services.k8s.aws/owner-account-id annotation, ACK's cross-account
	// role map ConfigMaps, or a resource's status (extension).
	OwnerAccounts []OwnerAccount `json:"ownerAccounts"`
	// Warnings are what the outputs warn of on standard error (and SARIF
	// as notifications of level warning), each with its source and line as
	// an error has them, and each also a note: the PATHs that hold no
	// object, the objects of a kind near one ackguard guards in its ACK
	// group (see nearMiss). Never an error: the exit code does not count
	// them (extension).
	Warnings []InputError `json:"warnings"`

	// judged are the resources judged, in input order.
	judged []judgedResource
}

// emptyInput notes a PATH that holds no object: nothing was judged from
// it, which a pipeline whose glob or directory is wrong must be told
// rather than read as a pass. built says whether it built or rendered a
// directory (a chart whose templates render nothing with these values, a
// kustomization with no resources), where the path is not what is wrong.
func (s *scanner) emptyInput(p string, built bool) {
	what := p
	if p == "-" {
		what = "standard input"
	}
	msg := "holds no Kubernetes object, so nothing was judged from it (an empty file, or a directory without .yaml, .yml or .json files holding one): check the path"
	if built {
		msg = "holds no Kubernetes object, so nothing was judged from it (a chart that renders none with the values given, or a kustomization that builds none): check its values and resources"
	}
	s.rep.Warnings = append(s.rep.Warnings, InputError{Source: p, Message: msg})
	s.notef("%s %s", what, msg)
}

// OwnerAccount is an owner account and the places that named it.
type OwnerAccount struct {
	ID      string   `json:"id"`
	Sources []string `json:"sources"`
}

// Finding is one finding on one resource.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Action   string   `json:"action"` // "deny" or "warn"
	Resource Resource `json:"resource"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
	Remedy   string   `json:"remedy"`
	// Title is the rule's title (extension).
	Title string `json:"title"`
	// Fixable reports whether the rule's fix would resolve the finding
	// (extension).
	Fixable bool `json:"fixable"`
	// Policy names the GuardrailPolicy that decided the finding's action
	// ("baseline" for the built-in one) (extension).
	Policy string `json:"policy"`
	// PolicyAction is the action the policies in force give the finding:
	// Enforce, Deny, Remediate or Audit (extension).
	PolicyAction string `json:"policyAction"`
	// Note says why admission admits a finding that would otherwise deny
	// (an adoption placeholder), "" otherwise (extension).
	Note string `json:"note"`
	// Line and Column locate the finding in its input, 1-based: the key
	// of the field at fault; of its nearest present parent when the field
	// is absent (the start of the resource when no part of its path is
	// present); of the field holding an embedded JSON document (the
	// "policy:" key) for a finding inside that document. 0 when unknown
	// (extension).
	Line   int `json:"line"`
	Column int `json:"column"`

	// origin is where the resource was read from; seq numbers the judged
	// resources in input order, from 1.
	origin origin
	seq    int
	// subject identifies what is wrong within the field (a statement of
	// a policy document), "" for most rules: two findings of one rule on
	// one field differ by it.
	subject string
	// field is the finding's path without its list indexes, "" when it has
	// none; element is then the value at the path (JSON, "" when absent).
	// The SARIF fingerprint knows a finding in a list by them, wherever
	// its element sits (see fingerprint).
	field, element string
}

// origin is where a document was read from.
type origin struct {
	// file is the file read ("-" for standard input), or the directory
	// built and how ("overlays/prod (kustomize build)").
	file string
	// artifact is the file on disk a report points code scanning at:
	// file, or for a built document the kustomization.yaml that built it
	// or the chart template that rendered it.
	artifact string
	// template is the chart template that rendered the document
	// ("templates/bucket.yaml"), "" otherwise.
	template string
	// built is true when lines and columns count in the built or
	// rendered stream, not in artifact.
	built bool
	// namespace is the namespace the stream's namespaced objects that
	// name none are created in: the release namespace of a rendered
	// chart (helm install -n puts them there), "" otherwise.
	namespace string
}

// judgedResource is a resource the scan judged, with the rules evaluated
// on it and reported (after Options.Rules and SkipRules): the test cases
// of the JUnit output.
type judgedResource struct {
	Resource
	origin origin
	seq    int
	at     pos
	rules  []string
}

// Exempted is a finding a GuardrailException exempts. Action is what
// admission would do without the exception.
type Exempted struct {
	Finding
	Exception ExceptionRef `json:"exception"`
}

// ExceptionRef names the exception that exempts a finding.
type ExceptionRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Reason    string `json:"reason"`
	// ExpiresAt is RFC 3339, in UTC.
	ExpiresAt string `json:"expiresAt"`
	// Source is where the exception was read.
	Source string `json:"source"`
}

// Policy is a GuardrailPolicy in force.
type Policy struct {
	Name string `json:"name"`
	// Source is where the policy was read; "" for the built-in baseline.
	Source string `json:"source"`
	// Builtin is true for the baseline that applies when the input holds
	// no GuardrailPolicy, or none that can be applied: every rule at its
	// catalog default.
	Builtin bool `json:"builtin"`
}

// Exception is a GuardrailException read from the input.
type Exception struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Source    string `json:"source"`
	// State is Active (in force), Expired or Invalid (it runs longer than
	// the policies allow, or has no expiry) at the scan's time.
	State string `json:"state"`
	// Message says until when the exception is in force, or why not.
	Message   string `json:"message"`
	Reason    string `json:"reason"`
	ExpiresAt string `json:"expiresAt"`
}

// Resource identifies a judged document.
type Resource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	// Source is where the document was read: "path", "path#N", "-",
	// "-#N", with "[i]" appended for list items.
	Source string `json:"source"`
	// Base is where the resource was read in Options.Base, when it was:
	// it is judged as the UPDATE from there (extension).
	Base string `json:"base,omitempty"`
}

// InputError is an input that could not be read or decoded.
type InputError struct {
	Source  string `json:"source"`
	Message string `json:"message"`
	// Line is the line of Source the error is at, 1-based, as the
	// message gives it ("line N: ..."): where the document, object or
	// key at fault starts, in the built stream for built or rendered
	// input (as a finding's); 0 when the error is about no one line (a
	// file that cannot be read, a flag) (extension).
	Line int `json:"line"`
}

// errorLine finds the line an input error's message starts with: "line N:",
// after "invalid YAML: " or "invalid JSON: " for a decoding error.
var errorLine = regexp.MustCompile(`^(?:invalid (?:YAML|JSON): (?:the value starting at )?)?line ([0-9]+)\b`)

// newInputError is the input error of source with message, with the line
// the message names.
func newInputError(source, message string) InputError {
	e := InputError{Source: source, Message: message}
	if m := errorLine.FindStringSubmatch(message); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
	}
	return e
}

// Summary counts what the scan judged.
type Summary struct {
	// Resources is the number of guarded resources judged.
	Resources int `json:"resources"`
	// Findings is len(Report.Findings).
	Findings int `json:"findings"`
	// Denied is the number of resources with at least one deny finding.
	Denied int `json:"denied"`
	// Warned is the number of resources with warn findings and no deny
	// finding, which admission would admit with warnings (extension).
	Warned int `json:"warned"`
	// Exempted is len(Report.Exempted) (extension).
	Exempted int `json:"exempted"`
	// Skipped is the number of documents read and not judged: not of a
	// kind ackguard guards (a Deployment, a ConfigMap), and not a
	// GuardrailPolicy, GuardrailException or Namespace (extension).
	Skipped int `json:"skipped"`
	// Documents is the number of objects read from the PATHs, whatever
	// their kind (each item of a List counts, empty documents do not): 0
	// when the input holds nothing to judge (extension).
	Documents int `json:"documents"`
}

// MarshalJSON encodes the report with empty arrays rather than null.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report // no MarshalJSON method
	p := plain(r)
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	if p.Errors == nil {
		p.Errors = []InputError{}
	}
	if p.Exempted == nil {
		p.Exempted = []Exempted{}
	}
	if p.Policies == nil {
		p.Policies = []Policy{}
	}
	if p.Exceptions == nil {
		p.Exceptions = []Exception{}
	}
	if p.Notes == nil {
		p.Notes = []string{}
	}
	if p.Warnings == nil {
		p.Warnings = []InputError{}
	}
	if p.OwnerAccounts == nil {
		p.OwnerAccounts = []OwnerAccount{}
	}
	return json.Marshal(p)
}

// ExitCode is the process exit code for the report: 2 when an input could
// not be read or decoded, else 1 when a resource would be denied, else 0.
func (r Report) ExitCode() int { return r.ExitCodeFor(FailOnDeny) }

// ExitCodeFor is the exit code under --fail-on: 2 when an input could not
// be read or decoded, whatever failOn; else 1 when a resource would be
// denied (FailOnDeny, ""), denied or admitted with warnings (FailOnWarn),
// never (FailOnNever); else 0.
func (r Report) ExitCodeFor(failOn string) int {
	switch {
	case len(r.Errors) > 0:
		return 2
	case failOn == FailOnNever:
		return 0
	case r.Summary.Denied > 0:
		return 1
	case failOn == FailOnWarn && r.Summary.Warned > 0:
		return 1
	}
	return 0
}

// Scan judges the documents found at paths ("-" reads stdin) and returns
// the report. It never fails as a whole: inputs it cannot read or decode
// become Report.Errors. Scan stops early, with an error entry, when ctx is
// done.
//
// Resources are judged as the cluster would: under the GuardrailPolicies
// and GuardrailExceptions found in paths and in opts.Policies (the
// built-in baseline when there is none), with namespaces selected by the
// labels of the Namespace objects found there.
func Scan(ctx context.Context, paths []string, stdin io.Reader, opts Options) Report {
	reg := opts.Registry
	if reg == nil {
		reg = rules.Default()
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	s := &scanner{ctx: ctx, reg: reg, cfg: opts.Config, stdin: stdin, now: now, taken: map[string]bool{},
		rules: opts.Rules, skipRules: opts.SkipRules, exclude: opts.Exclude, opts: opts, builds: map[string]builtStream{},
		owners: owners.New(opts.Config.OwnerAccounts)}
	s.rep.Findings = []Finding{}
	s.rep.Errors = []InputError{}
	s.rep.Exempted = []Exempted{}
	s.rep.Policies = []Policy{}
	s.rep.Exceptions = []Exception{}
	s.rep.Notes = []string{}
	if err := stdinConflict(paths, opts); err != nil {
		// The command refuses it as a usage error; nothing is read.
		s.errorf("-", "%v", err)
		return s.rep
	}
	s.checkValues()
	for _, p := range paths {
		if s.done() {
			break
		}
		docs, retaken, errs, templates, builds := s.rep.Summary.Documents, s.retaken, len(s.rep.Errors), len(s.templates), len(s.builds)
		s.path(p, readAll)
		if s.rep.Summary.Documents == docs && s.retaken == retaken && len(s.rep.Errors) == errs && len(s.templates) == templates {
			s.emptyInput(p, len(s.builds) > builds)
		}
	}
	scanned := maps.Clone(s.taken)
	for _, p := range opts.Policies {
		if s.done() {
			break
		}
		read, retaken, errs := s.policyRead, s.retaken, len(s.rep.Errors)
		s.path(p, readGovernance)
		if s.policyRead == read && s.retaken == retaken && len(s.rep.Errors) == errs {
			// Named to give the policies, it gives nothing: judging under
			// the baseline instead would pass what the policies deny.
			s.errorf(p, "given with --policy, it holds no GuardrailPolicy, GuardrailException or Namespace (nor a resource of a kind ackguard reads there): name the files or directories that hold the policies, or drop --policy")
		}
	}
	// --base reads what --policy read too: one export of the cluster is
	// both the policies in force and the resources before the change. It
	// skips what the paths read (a scanned file named as its own base is
	// read once, as scanned).
	s.taken = scanned
	for _, p := range opts.Base {
		if s.done() {
			break
		}
		retaken := s.retaken
		s.path(p, readBase)
		if n := s.retaken - retaken; n == 1 {
			s.notef("--base %s: 1 input it names is also scanned, and is judged as created, not against a base: give --base the target branch's copy (a checkout elsewhere)", p)
		} else if n > 1 {
			s.notef("--base %s: %d inputs it names are also scanned, and are judged as created, not against a base: give --base the target branch's copies (a checkout elsewhere)", p, n)
		}
	}
	s.unusedValues()
	// Judge once every policy, exception and Namespace is read, so that
	// every resource is judged under all of them, and rules can resolve
	// the objects a resource refers to (a Role's Policies) among all the
	// inputs: a second pass reads the inputs again and judges each
	// resource as it is read, keeping none (built and rendered
	// directories are built once, and standard input and the other inputs
	// that are not regular files, pipes and FIFOs, are read once).
	if len(s.templates) > 0 {
		s.notef("%s", templatesNote(s.templates))
	}
	s.eng = s.engine()
	s.resolver = resolve.Objects(withBase(s.refs, s.baseRefs))
	s.refs, s.baseRefs = nil, nil
	s.pass, s.taken = judgePass, map[string]bool{}
	for _, p := range paths {
		if s.done() {
			break
		}
		s.path(p, readAll)
	}
	if n := s.unlabelledNote(); n != "" {
		s.rep.Notes = append(s.rep.Notes, n)
	}
	if s.unchanged > 0 {
		s.rep.Notes = append(s.rep.Notes, fmt.Sprintf("%d resource(s) keep the spec and the adoption policy --base gives them: the webhook is not called for such an update, so the cluster admits them without findings, as reported", s.unchanged))
	}
	s.rep.Notes = append(s.rep.Notes, s.unjudgedRulesNotes()...)
	for _, k := range s.kept {
		if k.spool != nil {
			k.drop(k.spool)
		}
	}
	s.rep.Summary.Findings = len(s.rep.Findings)
	s.rep.Summary.Exempted = len(s.rep.Exempted)
	return s.rep
}

// readMode says what a path is read for.
type readMode int

const (
	// readAll judges guarded resources and collects governance objects.
	readAll readMode = iota
	// readGovernance only collects governance objects (--policy).
	readGovernance
	// readBase only keeps guarded resources, as they were before the
	// change (--base).
	readBase
)

// scanPass is what a pass over the inputs does.
type scanPass int

const (
	// collectPass reads the policies, exceptions, Namespaces and the
	// objects rules refer to, and reports input errors.
	collectPass scanPass = iota
	// judgePass judges each guarded resource as it is read.
	judgePass
)

// referenced are the kinds rules look up by reference (a Role's
// policyRefs, a Function's role): their objects are kept from the first
// pass for the second.
// The list is every kind a rule reads through its Resolver: IAM Policies
// (attached, or only a permissions boundary, which the identities using it
// decide), Roles (a Function's execution role), Users and Groups, DB
// parameter groups and the DBCluster of an Aurora member, and the Subnets
// whose zones LMB-008 counts (not guarded itself).
var referenced = []schema.GroupKind{
	view.PolicyGVK.GroupKind(), view.RoleGVK.GroupKind(), view.UserGVK.GroupKind(), view.GroupGVK.GroupKind(),
	view.DBParameterGroupGVK.GroupKind(), view.DBClusterParameterGroupGVK.GroupKind(), view.DBClusterGVK.GroupKind(),
	view.SubnetGVK.GroupKind(),
}

// defaultNamespace is the namespace of the namespaced objects that name
// none (Options.Namespace).
func (s *scanner) defaultNamespace() string {
	return cmpOr(s.opts.Namespace, DefaultNamespace)
}

// releaseNamespace is the namespace charts are rendered in
// (Options.ReleaseNamespace, else the default namespace).
func (s *scanner) releaseNamespace() string {
	return cmpOr(s.opts.ReleaseNamespace, s.defaultNamespace())
}

// namespaced reports whether objects of the kind live in a namespace, for
// the kinds the scan reads: the guarded ones, those rules read, a
// GuardrailException and a ConfigMap (not a GuardrailPolicy or a
// Namespace; other kinds are not read).
func (s *scanner) namespaced(gk schema.GroupKind) bool {
	switch {
	case s.reg.Guards(gk), slices.Contains(referenced, gk), gk == configMapKind:
		return true
	}
	return gk.Group == v1alpha1.GroupVersion.Group && gk.Kind == kindException
}

// pendingResource is a guarded resource read and about to be judged.
type pendingResource struct {
	source string
	origin origin
	obj    map[string]any
	meta   view.Meta
	loc    locator
}

type scanner struct {
	// owners are the owner accounts, from --owner-account and the input.
	owners  *owners.Set
	ctx     context.Context
	reg     *rules.Registry
	cfg     rules.Config
	stdin   io.Reader
	now     time.Time
	rep     Report
	stopped bool
	// taken holds the inputs (files and directories by absolute path,
	// "-" for stdin) read in the current pass: an input named twice, or
	// named beside a directory that holds it, is judged once, and
	// --policy skips what the paths read, its governance objects being
	// known already; --base skips what the paths read, not what --policy
	// did.
	taken map[string]bool
	// gov are the GuardrailPolicies and GuardrailExceptions read, in input
	// order; govRaw indexes them by kind, namespace and name.
	gov    []*govObject
	govRaw map[string]govSeen
	// namespaces are the Namespace objects read, by name; unlabelled are
	// the namespaces of resources judged that have none, in input order.
	namespaces map[string]*namespaceObject
	unlabelled []string
	// unchanged counts the resources judged as UPDATEs the webhook is
	// not called for (webhookconfig.JudgesUpdate).
	unchanged int
	// rules and skipRules select the rules reported (Options.Rules,
	// Options.SkipRules); exclude are the globs of paths not read.
	rules, skipRules, exclude []string
	// ran are the IDs of the selected rules some resource was judged by
	// (kept only under --rules).
	ran map[string]bool
	// reading is where the stream being read comes from; walkRoot the
	// directory argument being walked.
	reading  origin
	walkRoot string
	// building is true while reading a built or rendered stream, whose
	// origin is set per document.
	building bool
	// templates are the Helm templates read outside their chart, skipped.
	templates []templateSkip
	opts      Options
	// pass is the pass over the inputs; eng and resolver judge in the
	// second, refs are the objects the resolver looks up.
	pass     scanPass
	eng      *governance.Engine
	resolver rules.Resolver
	refs     []map[string]any
	// builds are the directories built in the first pass, by path.
	builds map[string]builtStream
	// kept are the inputs that can be read only once (standard input,
	// a pipe, a FIFO), kept from the first pass for the second, by the
	// key inputKey gives them.
	kept map[string]*keptInput
	// rulesFor caches the reported rules of a kind.
	rulesFor map[schema.GroupKind][]string
	// base are the guarded resources read from Options.Base, by baseKey;
	// baseRefs the objects rules may refer to (referenced) read from
	// Options.Policies and Options.Base, offered where refs hold no copy.
	base     map[string]baseResource
	baseRefs []map[string]any
	// policyRead counts the objects read from Options.Policies that the
	// scan reads there (see value); retaken the inputs skipped as read
	// already in the pass.
	policyRead, retaken int
	// errorsSeen are the input errors recorded by errorf.
	errorsSeen map[InputError]bool
	// charts counts the charts found (rendered or not); badValues is
	// true when a --values file could not be read (reported once, by
	// checkValues).
	charts    int
	badValues bool
	// values are the --values files as checkValues read them, in order
	// (all of them unless badValues).
	values [][]byte
}

// baseResource is a resource as it was before the change, and where it
// was read.
type baseResource struct {
	obj    map[string]any
	source string
}

// baseKey identifies a resource across the base and the change: its kind
// (group and kind: a version change is an update too), namespace and
// metadata.name; "" for one with only a generateName (view.Meta.Name falls
// back to it), which is always created under a new name, never an update.
func baseKey(obj map[string]any) string {
	id := view.ReadIdentity(obj)
	if id.Name == "" {
		return ""
	}
	return id.GroupKind.Group + "/" + id.GroupKind.Kind + "/" + id.Namespace + "/" + id.Name
}

// keepRef keeps an object rules may refer to: the paths' copy is the
// change's; one read from --policy (an export of the cluster) is, like the
// base's, offered only where the change holds none, and only of a kind the
// webhook reads in the cluster (those the rules guard, as
// govsource.Source.Resolver restricts it): not a Subnet, whose zones the
// webhook cannot tell, so that the scan does not decide on them where it
// would not.
func (s *scanner) keepRef(obj map[string]any, mode readMode) {
	if mode == readAll {
		s.refs = append(s.refs, obj)
		return
	}
	if s.reg.Guards(view.ReadMeta(obj).GVK.GroupKind()) {
		s.baseRefs = append(s.baseRefs, obj)
	}
}

// withBase returns the objects rules may refer to: those the paths hold,
// then those of --policy and the base they do not hold, the first copy of
// each (the change's copy of an object is the one the cluster will have;
// one export given to both --policy and --base is offered once).
func withBase(refs, base []map[string]any) []map[string]any {
	if len(base) == 0 {
		return refs
	}
	held := make(map[string]bool, len(refs))
	for _, o := range refs {
		held[baseKey(o)] = true
	}
	out := slices.Clip(refs)
	for _, o := range base {
		// One with only a generateName (no key) is always another.
		if k := baseKey(o); k == "" || !held[k] {
			out = append(out, o)
			held[k] = k != ""
		}
	}
	return out
}

// keepBase keeps a guarded resource read from Options.Base: the first of
// a name, as for the resources judged, with a note on another.
func (s *scanner) keepBase(source string, obj map[string]any, meta view.Meta) {
	k := baseKey(obj)
	if k == "" {
		return
	}
	first, dup := s.base[k]
	switch {
	case !dup:
		if s.base == nil {
			s.base = map[string]baseResource{}
		}
		s.base[k] = baseResource{obj: obj, source: source}
	case first.source != source:
		s.notef("%s %s is in --base twice (%s, %s): the first is the one its update is judged from", meta.GVK.Kind, describeName(meta.Namespace, meta.Name, meta.Namespace != ""), first.source, source)
	}
}

// excluded reports whether a path found while walking matches an
// Options.Exclude glob: a glob without a slash matches the name, one
// with a slash the path as found or relative to the directory walked, an
// absolute one the absolute path.
func (s *scanner) excluded(p string) bool {
	name := filepath.Base(p)
	rel, err := filepath.Rel(s.walkRoot, p)
	if err != nil {
		rel = p
	}
	for _, g := range s.exclude {
		g = trimSlashes(g) // "vendor/" is the directory vendor
		if !strings.Contains(g, "/") {
			if ok, _ := path.Match(g, name); ok {
				return true
			}
			continue
		}
		candidates := []string{filepath.ToSlash(p), filepath.ToSlash(rel)}
		if path.IsAbs(g) || filepath.IsAbs(g) {
			if abs, err := filepath.Abs(p); err == nil {
				candidates = append(candidates, filepath.ToSlash(abs))
			}
		}
		for _, q := range candidates {
			if matchPath(strings.TrimPrefix(g, "./"), strings.TrimPrefix(q, "./")) {
				return true
			}
		}
	}
	return false
}

// matchPath reports whether the slash-separated path name matches the
// glob pattern, as path.Match does, but for a "**" segment, which matches
// any number of segments, none included (as in .gitignore and CI path
// filters: "**/ci" is every ci directory, "vendor/**" all of vendor).
func matchPath(pattern, name string) bool {
	if !strings.Contains(pattern, "**") {
		ok, _ := path.Match(pattern, name)
		return ok
	}
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

// matchSegments is matchPath on paths split at their slashes.
func matchSegments(pattern, name []string) bool {
	for len(pattern) > 0 {
		if pattern[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(pattern[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pattern[0], name[0]); !ok {
			return false
		}
		pattern, name = pattern[1:], name[1:]
	}
	return len(name) == 0
}

// reported are the IDs of the rules reported for a kind.
func (s *scanner) reported(gk schema.GroupKind) []string {
	if ids, ok := s.rulesFor[gk]; ok {
		return ids
	}
	var ids []string
	for _, r := range s.reg.RulesFor(gk) {
		if s.selected(r.ID) {
			ids = append(ids, r.ID)
		}
	}
	if s.rulesFor == nil {
		s.rulesFor = map[schema.GroupKind][]string{}
	}
	s.rulesFor[gk] = ids
	return ids
}

// evaluated are the IDs of the rules reported for a kind (see reported)
// that the judgement evaluated: those it passed and those with findings.
// A rule the policies disable, an opt-in rule none enables, and every
// rule on a resource no policy selects were not evaluated.
func (s *scanner) evaluated(gk schema.GroupKind, j *governance.Judgement) []string {
	if j == nil {
		return nil
	}
	ran := make(map[string]bool, len(j.Passed)+len(j.Results))
	for _, p := range j.Passed {
		ran[p.Rule.ID] = true
	}
	for _, r := range j.Results {
		ran[r.RuleID] = true
	}
	var ids []string
	for _, id := range s.reported(gk) {
		if ran[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// unjudgedRulesNotes says of each --rules pattern whose rules judged no
// resource that nothing was judged by them: an opt-in rule the policies
// in force do not enable, or a rule of kinds the inputs do not hold,
// reports nothing, which would read as a pass.
func (s *scanner) unjudgedRulesNotes() []string {
	var out []string
	for _, g := range s.rules {
		var ids []string
		judged := false
		for _, r := range s.reg.Rules() {
			if ok, _ := path.Match(g, r.ID); !ok || !s.selected(r.ID) {
				continue
			}
			ids = append(ids, r.ID)
			judged = judged || s.ran[r.ID]
		}
		if len(ids) == 0 || judged {
			continue
		}
		out = append(out, fmt.Sprintf("--rules %s: no resource was judged by %s (no resource of the kinds it judges, no policy selecting one, or an opt-in rule no policy in force enables)",
			g, strings.Join(ids, ", ")))
	}
	return out
}

// selected reports whether findings of the rule are reported.
func (s *scanner) selected(ruleID string) bool {
	if len(s.rules) > 0 && !matchAny(s.rules, ruleID) {
		return false
	}
	return !matchAny(s.skipRules, ruleID)
}

// matchAny reports whether name matches one of the globs.
func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// done reports whether the context is done, recording it once.
func (s *scanner) done() bool {
	if s.stopped {
		return true
	}
	if err := s.ctx.Err(); err != nil {
		s.stopped = true
		s.failf("", "scan interrupted: %v", err)
	}
	return s.stopped
}

// notef records a note, once: an input read for --policy and --base
// gives it twice.
func (s *scanner) notef(format string, args ...any) {
	if n := fmt.Sprintf(format, args...); s.pass != judgePass && !slices.Contains(s.rep.Notes, n) {
		s.rep.Notes = append(s.rep.Notes, n)
	}
}

// warnf records a warning about source, once (see errorf), and the note
// "source: message": the outputs give it on standard error, and SARIF as
// a notification of level warning at its line (the message's "line N:").
// Unlike an error, it does not change the exit code.
func (s *scanner) warnf(source, format string, args ...any) {
	w := newInputError(source, fmt.Sprintf(format, args...))
	if s.pass == judgePass || slices.Contains(s.rep.Warnings, w) {
		return
	}
	s.rep.Warnings = append(s.rep.Warnings, w)
	s.notef("%s: %s", source, w.Message)
}

// errorf records an input error, once: the second pass reads what the
// first has reported already, and --base reads again what --policy read.
func (s *scanner) errorf(source, format string, args ...any) {
	s.addError(newInputError(source, fmt.Sprintf(format, args...)))
}

// addError records the input error e, once (see errorf).
func (s *scanner) addError(e InputError) {
	if s.pass == judgePass {
		return
	}
	if s.errorsSeen[e] {
		return
	}
	if s.errorsSeen == nil {
		s.errorsSeen = map[InputError]bool{}
	}
	s.errorsSeen[e] = true
	s.rep.Errors = append(s.rep.Errors, e)
}

// failf records an error in either pass.
func (s *scanner) failf(source, format string, args ...any) {
	s.rep.Errors = append(s.rep.Errors, newInputError(source, fmt.Sprintf(format, args...)))
}

// inputKey identifies the input p (a file or directory path, or "-"):
// its absolute path, "-" for standard input.
func inputKey(p string) string {
	if p != "-" {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	return p
}

// take reports whether the input p (a file or directory path, or "-")
// is not read yet in this pass, and marks it read.
func (s *scanner) take(p string) bool {
	key := inputKey(p)
	if s.taken[key] {
		s.retaken++
		return false
	}
	s.taken[key] = true
	return true
}

// path scans one command-line argument.
func (s *scanner) path(p string, mode readMode) {
	if p == "-" {
		s.stdinInput(p, mode)
		return
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		s.errorf(p, "%s", describe(err))
	case fi.IsDir():
		s.walkRoot = p
		if !s.buildDir(p, mode) {
			s.walk(p, mode)
		}
	default:
		// Named explicitly: read whatever its name or type (a pipe from
		// process substitution included); the size bound still holds.
		s.file(p, mode)
	}
}

// walk scans a directory tree in lexical order.
func (s *scanner) walk(dir string, mode readMode) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		s.errorf(dir, "%s", describe(err))
		// ReadDir returns the entries it read before the error.
	}
	for _, e := range entries {
		if s.done() {
			return
		}
		name := e.Name()
		p := filepath.Join(dir, name)
		if s.excluded(p) {
			continue
		}
		switch t := e.Type(); {
		case t.IsDir():
			if !strings.HasPrefix(name, ".") && !s.buildDir(p, mode) {
				s.walk(p, mode)
			}
		case t&fs.ModeSymlink != 0:
			// Follow links to files, as kubectl does; links to directories
			// are not followed (no cycles, no walking out of the tree).
			if !isManifestName(name) {
				continue
			}
			fi, err := os.Stat(p)
			switch {
			case err != nil:
				s.errorf(p, "%s", describe(err))
			case fi.Mode().IsRegular():
				s.file(p, mode)
			}
		case t.IsRegular():
			if isManifestName(name) {
				s.file(p, mode)
			}
		}
		// Other types (pipes, sockets, devices) are never read during a
		// walk: reading them could block or never end.
	}
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// file scans one file. A file already read in this pass is skipped (with
// --policy too: its governance objects are known, and reading it again
// would repeat its errors). A file that is not a regular one (a pipe of
// process substitution, /dev/stdin, a FIFO) can be read only once: the
// first pass keeps what it read for the second, which never opens it
// again (a FIFO would block it, a pipe read again is empty).
func (s *scanner) file(p string, mode readMode) {
	if !s.take(p) {
		return
	}
	key := inputKey(p)
	if _, ok := s.kept[key]; ok {
		s.replay(key, p, mode)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		s.errorf(p, "%s", describe(err))
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		switch {
		case fi.IsDir():
			s.errorf(p, "is a directory")
			return
		case !fi.Mode().IsRegular() && mode != readBase:
			// Kept for the second pass, or for --base after --policy.
			s.keep(key, p, f, mode)
			return
		case fi.Mode().IsRegular() && fi.Size() > int64(streamAbove):
			s.largeStream(p, f, mode)
			return
		}
	}
	br := bufio.NewReaderSize(f, 64<<10)
	data, err := readBounded(br)
	switch {
	case err == errTooLarge:
		// A pipe: what was read, then the rest, as one stream.
		s.largeStream(p, io.MultiReader(bytes.NewReader(data), br), mode)
		return
	case err != nil:
		s.errorf(p, "%s", describe(err))
		return
	}
	s.stream(p, data, mode)
}

var errTooLarge = fmt.Errorf("input is larger than the %d MiB limit", MaxInputBytes>>20)

// readBounded reads at most MaxInputBytes, failing on larger input.
// On errTooLarge, it returns what it read.
func readBounded(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputBytes {
		return data, errTooLarge
	}
	return data, nil
}

// describe renders an I/O error without repeating the path, which the
// error entry already carries as its source.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "no such file or directory"
		case errors.Is(err, fs.ErrPermission):
			return "cannot read: permission denied"
		}
		return "cannot read: " + pe.Err.Error()
	}
	if err == errTooLarge || err == errDocumentTooLarge {
		return err.Error()
	}
	return "cannot read: " + err.Error()
}

// stream scans the documents of one input.
func (s *scanner) stream(source string, data []byte, mode readMode) {
	if !s.building {
		s.reading = origin{file: source, artifact: source}
	}
	docs := splitDocuments(data)
	templated := 0
	if !s.building {
		templated = templateDocuments(docs)
	}
	if templated > 0 && s.pass == collectPass {
		// Helm templates read outside their chart: skipped, with a note.
		// Only those documents: the others of the file are judged.
		if templated == len(docs) {
			s.skipTemplate(templateSkip{source: source})
		} else {
			for i, d := range docs {
				if d.templated {
					s.skipTemplate(templateSkip{source: source + "#" + strconv.Itoa(i), document: true})
				}
			}
		}
	}
	base := s.reading
	for i, d := range docs {
		if templated > 0 && d.templated {
			continue
		}
		if !s.document(source, i, len(docs) > 1, base, d, mode) {
			return
		}
	}
}

// templateSkip is a Helm template read outside its chart and skipped: a
// whole file, or one document of a file whose other documents are read.
type templateSkip struct {
	source   string
	document bool
}

// skipTemplate records a Helm template skipped, once (an input read for
// --policy and --base is read twice).
func (s *scanner) skipTemplate(t templateSkip) {
	if !slices.Contains(s.templates, t) {
		s.templates = append(s.templates, t)
	}
}

// templatesNote is the note that lists the Helm templates skipped.
func templatesNote(skips []templateSkip) string {
	files, docs := 0, 0
	sources := make([]string, 0, len(skips))
	for _, t := range skips {
		if t.document {
			docs++
		} else {
			files++
		}
		sources = append(sources, t.source)
	}
	var counts []string
	if files > 0 {
		counts = append(counts, plural(files, "file"))
	}
	if docs > 0 {
		counts = append(counts, plural(docs, "document"))
	}
	return fmt.Sprintf("%s skipped: Helm templates read outside their chart (%s); scan the chart's directory to judge what they render",
		strings.Join(counts, " and "), strings.Join(sources, ", "))
}

// document scans document i of a stream; false when the scan stops.
func (s *scanner) document(source string, i int, numbered bool, base origin, d document, mode readMode) bool {
	if s.done() {
		return false
	}
	src := source
	if numbered {
		src += "#" + strconv.Itoa(i)
	}
	if s.building {
		s.reading = templateOrigin(base, d.template)
	}
	if d.err != nil {
		s.errorf(src, "%s", d.err.Error())
		return true
	}
	if _, ok := d.value.(map[string]any); !ok && d.value != nil {
		// A list or a scalar where a manifest belongs: kubectl refuses the
		// file; skipping it would pass what it holds unjudged.
		s.errorf(src, "%s", notAnObject(d))
		return true
	}
	s.value(src, d.value, d.loc, mode)
	return true
}

// notAnObject says why a document whose top level is not a mapping is
// not read.
func notAnObject(d document) string {
	return lineAt(d.loc) + "the document is " + valueKind(d.value) + ", not an object with apiVersion and kind (kubectl refuses it too): " +
		"write each object as a document of its own after ---, or put them in a List (apiVersion: v1, kind: List, items: [...])"
}

// notAnObjectItem says why an item of a list that is not a mapping is not
// read.
func notAnObjectItem(v any, loc locator) string {
	return lineAt(loc) + "the item is " + valueKind(v) + ", not an object with apiVersion and kind (kubectl refuses the list too)"
}

// valueKind names the kind of a decoded value that is not an object.
func valueKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "a scalar"
}

// largeStream scans a YAML stream larger than MaxInputBytes document by
// document, holding one at a time: each document is still bounded by
// MaxInputBytes. Its documents are always numbered ("path#N"). A stream
// of JSON values that large is refused.
func (s *scanner) largeStream(source string, r io.Reader, mode readMode) {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(4096); looksLikeJSON(bytes.TrimPrefix(head, utf8BOM)) {
		s.errorf(source, "a stream of JSON values larger than %d MiB is not read: write it as YAML documents, or split it", MaxInputBytes>>20)
		return
	}
	s.reading = origin{file: source, artifact: source}
	base, i := s.reading, 0
	err := splitYAMLStream(br, MaxInputBytes, func(c chunk) bool {
		v, loc, err := decodeYAML(c)
		ok := s.document(source, i, true, base, document{value: v, err: err, loc: loc}, mode)
		i++
		return ok
	})
	if err != nil {
		s.errorf(source+"#"+strconv.Itoa(i), "%s", describe(err))
	}
}

// stdinInput reads standard input, once: see keep.
func (s *scanner) stdinInput(p string, mode readMode) {
	if !s.take(p) {
		return // "-" given twice reads it once
	}
	if _, ok := s.kept[p]; ok {
		s.replay(p, p, mode)
		return
	}
	if s.stdin == nil {
		s.errorf(p, "standard input is not available")
		return
	}
	s.keep(p, p, s.stdin, mode)
}

// keptInput is an input that can be read only once, as the first pass
// read it: in memory up to MaxInputBytes, else in a temporary file. Both
// are nil when it could not be read (the first pass reported why).
type keptInput struct {
	data  []byte
	spool *os.File
	// named is whether the spool still has its name (the system did not
	// let it be unlinked while open): Scan removes it when it ends.
	named bool
}

// drop closes a spool and, where the system did not let it be unlinked
// when created, removes it by name (an unlinked spool's name may since
// belong to another file).
func (k *keptInput) drop(f *os.File) {
	f.Close()
	if k.named {
		os.Remove(f.Name())
	}
}

// keep reads an input that can be read only once (standard input, a pipe,
// a FIFO) and scans it, keeping what it read for the second pass under
// key: in memory up to MaxInputBytes, else spooled to a temporary file
// read as a stream.
func (s *scanner) keep(key, source string, r io.Reader, mode readMode) {
	k := &keptInput{}
	if s.kept == nil {
		s.kept = map[string]*keptInput{}
	}
	s.kept[key] = k // even when reading fails: never read it again
	data, err := readBounded(r)
	switch {
	case err == errTooLarge:
		what := "an input that is not a regular file"
		if source == "-" {
			what = "standard input"
		}
		f, ferr := os.CreateTemp("", "ackguard-input-*.yaml")
		if ferr == nil {
			// Unlinked at once where the system allows it (the open file
			// stays readable), so that nothing is left behind even when the
			// scan is killed; elsewhere Scan removes it when it ends.
			k.named = os.Remove(f.Name()) != nil
			var n int64
			n, ferr = io.Copy(f, io.LimitReader(io.MultiReader(bytes.NewReader(data), r), spoolLimit+1))
			if ferr == nil && n > spoolLimit {
				k.drop(f)
				s.errorf(source, "%s larger than %d MiB is not read: write it to a file and scan the file", what, spoolLimit>>20)
				return
			}
		}
		if ferr == nil {
			_, ferr = f.Seek(0, io.SeekStart)
		}
		if ferr != nil {
			s.errorf(source, "cannot keep %s larger than %d MiB in a temporary file: %v", what, MaxInputBytes>>20, ferr)
			if f != nil {
				k.drop(f)
			}
			return
		}
		k.spool = f
		s.largeStream(source, f, mode)
		return
	case err != nil:
		s.errorf(source, "%s", describe(err))
		return
	}
	if data == nil {
		data = []byte{}
	}
	k.data = data
	s.stream(source, data, mode)
}

// replay scans again what keep kept under key.
func (s *scanner) replay(key, source string, mode readMode) {
	switch k := s.kept[key]; {
	case k == nil:
	case k.spool != nil:
		if _, err := k.spool.Seek(0, io.SeekStart); err == nil {
			s.largeStream(source, k.spool, mode)
		}
	case k.data != nil:
		s.stream(source, k.data, mode)
	}
}

// templateDocuments counts the documents of a file that are Helm
// templates read outside their chart: not YAML only because of their
// template actions. A document with "{{" in it that fails for reasons of
// its own is not one: its error is reported.
func templateDocuments(docs []document) int {
	n := 0
	for _, d := range docs {
		if d.templated {
			n++
		}
	}
	return n
}

// value judges one decoded document, expanding lists.
func (s *scanner) value(source string, v any, loc locator, mode readMode) {
	obj, ok := v.(map[string]any)
	if !ok {
		// An empty document, or an item of a List that is not an object
		// (a document that is not an object is an error: see document).
		return
	}
	if items, ok := obj["items"].([]any); ok {
		// A list to kubectl's decoder, whatever its kind: kubectl apply
		// applies its items, and not the object itself.
		if kind, _ := obj["kind"].(string); len(items) == 0 && mode == readGovernance && strings.HasSuffix(kind, "List") {
			// What kubectl get -o yaml prints when the cluster holds none
			// of the kinds asked for: an export of a cluster without
			// policies, which judges under the baseline, not a wrong path.
			s.policyRead++
		}
		s.items(source, obj, items, loc, mode)
		return
	}
	if mode == readAll && s.pass == collectPass {
		s.rep.Summary.Documents++
	}
	meta := view.ReadMeta(obj)
	if meta.Namespace == "" && s.namespaced(meta.GVK.GroupKind()) {
		// Where kubectl apply -n (or the release, for a chart's objects)
		// creates it: judged in that namespace, under the policies and
		// exceptions that select it there.
		ns := cmpOr(s.reading.namespace, s.defaultNamespace())
		md, ok := obj["metadata"].(map[string]any)
		if !ok && obj["metadata"] == nil {
			md, ok = map[string]any{}, true
			obj["metadata"] = md
		}
		if ok {
			md["namespace"] = ns
			meta.Namespace = ns
		}
	}
	if mode == readGovernance && policyReads(s.reg, meta, s.opts.ACKNamespace) {
		s.policyRead++
	}
	if mode == readBase {
		// Only guarded resources are read from the base.
		if gk := meta.GVK.GroupKind(); s.reg.Guards(gk) {
			if slices.Contains(referenced, gk) {
				// As it is before the change, rules may refer to it (a
				// Function's Role already in the cluster).
				s.keepRef(obj, mode)
			}
			s.keepBase(source, obj, meta)
		}
		return
	}
	switch gk := meta.GVK.GroupKind(); {
	case s.reg.Guards(gk):
		s.judge(source, obj, meta, loc, mode)
		return
	case s.pass == collectPass && slices.Contains(referenced, gk):
		// Not guarded, but read by a rule (a Subnet's zone).
		s.keepRef(obj, mode)
		if mode == readAll {
			s.rep.Summary.Skipped++
		}
		return
	case s.pass == judgePass:
		// Governance objects and Namespaces were read, other documents
		// counted, in the first pass.
	case gk.Group == v1alpha1.GroupVersion.Group:
		if !s.governanceDoc(source, obj, meta, loc) && mode == readAll {
			s.rep.Summary.Skipped++
		}
		return
	case gk == namespaceKind && meta.GVK.Version == "v1":
		s.namespaceDoc(source, obj, meta, loc)
		return
	case gk == configMapKind && meta.GVK.Version == "v1" && (meta.Name == owners.AccountMapName || meta.Name == owners.TeamMapName) &&
		s.opts.ACKNamespace != "" && meta.Namespace == s.opts.ACKNamespace:
		if s.pass == collectPass {
			s.carmDoc(source, obj, meta, loc)
			if mode == readAll {
				s.rep.Summary.Skipped++
			}
		}
		return
	}
	// noSuchKind reports an object of a kind the cluster does not have,
	// which the scan does (read or judge) nothing with: an error when
	// the cluster refuses it; a warning when it refuses it only until a
	// CRD brings that kind (a kind ACK may add to its group), and the
	// object is skipped.
	noSuchKind := func(why, does string, refused bool) {
		name := describeName(meta.Namespace, view.ReadIdentity(obj).Name, true)
		if !refused {
			s.warnf(source, "%s%s The scan skips %s %s without judging it; the cluster refuses it unless a CRD adds that kind",
				lineAt(loc), why, meta.GVK.Kind, name)
			return
		}
		s.errorf(source, "%s%s %s: %s: the cluster would refuse the object (no such kind), and the scan does not %s it",
			lineAt(loc), meta.GVK.Kind, name, why, does)
	}
	if s.pass == collectPass {
		if why := governanceNearMiss(meta.GVK); why != "" {
			// Meant as a policy or an exception (here or in a --policy
			// input): skipping it would judge the resources without it.
			noSuchKind(why, "read", true)
			return
		}
	}
	if mode == readAll && s.pass == collectPass {
		if why, refused := s.nearMiss(meta.GVK); why != "" {
			// Meant as an ACK resource: the cluster refuses it (no such
			// kind), and skipping it would pass it unjudged. A kind near
			// a guarded one is skipped with a warning: ACK may add it.
			noSuchKind(why, "judge", refused)
			if refused {
				return
			}
		}
		if kind, _ := obj["kind"].(string); kind == "" && looksLikeManifest(obj) {
			// kubectl refuses it (Object 'Kind' is missing): skipping it
			// would pass a manifest that does not apply, and what it
			// holds unjudged. (A file of other YAML or JSON in a
			// directory walked, a workflow or a tool's settings, names
			// none of these and is skipped.)
			s.errorf(source, "%sthe object names no kind (kubectl refuses it: Object 'Kind' is missing): give it apiVersion and kind", lineAt(loc))
			return
		}
		s.rep.Summary.Skipped++ // not a kind ackguard guards
	}
}

// looksLikeManifest reports whether an object names what a Kubernetes
// manifest has beside its kind: an apiVersion, metadata or a spec.
func looksLikeManifest(obj map[string]any) bool {
	_, apiVersion := obj["apiVersion"]
	_, metadata := obj["metadata"]
	_, spec := obj["spec"]
	return apiVersion || metadata || spec
}

// nearMiss says which kind ackguard guards or reads an object of another
// kind was meant to be, "" when none, and whether the cluster refuses the
// object: one of the same kind whose API group misspells the kind's ACK
// group (see misspells), or that names no group but gives it as its
// version (apiVersion: s3.services.k8s.aws), or one of that ACK group
// whose kind differs only in case (kind: bucket), is refused. One of that
// ACK group whose kind misspells the kind (see misspellsKind: Buckett,
// SecurityGroups) is refused too, until ACK adds a kind of that name to
// the group: not refused, a warning, the nearest kind named. Kinds of the
// same name in other groups (a Crossplane s3.aws.upbound.io Bucket, an
// rbac.authorization.k8s.io Role) are not near misses, nor are ACK's
// other kinds of the guarded groups (InstanceProfile, VPC, DBSubnetGroup).
func (s *scanner) nearMiss(gvk schema.GroupVersionKind) (why string, refused bool) {
	if gvk.Kind == "" {
		return "", false
	}
	meant, edits := "", 0
	for _, want := range append(s.reg.Kinds(), referenced...) {
		switch {
		case gvk.Group == want.Group && gvk.Kind != want.Kind && strings.EqualFold(gvk.Kind, want.Kind):
			return fmt.Sprintf("%s has no kind %s, but %s", want.Group, gvk.Kind, want.Kind), true
		case gvk.Group == want.Group && gvk.Kind != want.Kind:
			if d, ok := misspellsKind(gvk.Kind, want.Kind); ok && (meant == "" || d < edits) {
				meant, edits = want.Kind, d
			}
		case gvk.Kind != want.Kind:
		case gvk.Group == "" && gvk.Version == want.Group:
			return fmt.Sprintf("apiVersion %s names no version: ACK's %s is %s/VERSION", gvk.Version, want.Kind, want.Group), true
		case gvk.Group != want.Group && gvk.Group != "" && misspells(gvk.Group, want.Group):
			return fmt.Sprintf("apiVersion %s: ACK's %s is in API group %s, not %s", gvk.GroupVersion(), want.Kind, want.Group, gvk.Group), true
		}
	}
	if meant != "" {
		return fmt.Sprintf("%s %s is not a kind ackguard guards; did you mean %s?", gvk.GroupVersion(), gvk.Kind, meant), false
	}
	return "", false
}

// misspellsKind says how many edits (see misspells), letter case aside,
// turn the kind k into the kind want of the same ACK group, or into the
// plural its resource is named by (policies, dbproxies: kubectl get
// policies), and whether that few make k a misspelling of want: one for
// a kind of up to four letters (Roles, Usr), two for a longer one
// (Buckett, SecurityGroups, Functoin, Policies). ACK's other kinds of the
// guarded groups are at least four from every kind ackguard guards or
// reads there and its plural (Fleet from Subnet; NetworkACLEntry is five
// from NetworkACL, Version from Function).
func misspellsKind(k, want string) (int, bool) {
	k = strings.ToLower(k)
	plural, _ := apimeta.UnsafeGuessKindToResource(schema.GroupVersionKind{Kind: want})
	d := min(cmdutil.EditDistance(k, strings.ToLower(want)), cmdutil.EditDistance(k, plural.Resource))
	most := 2
	if len(want) <= 4 {
		most = 1
	}
	return d, d <= most
}

// governanceNearMiss says which group an object of one of ackguard's own
// kinds (GuardrailPolicy, GuardrailException and their Lists), whose names
// no other API uses, belongs in when it names another ("" when it names
// ackguard's): a misspelt group (policy.ackgaurd.dev), or none but the
// group given as the version (apiVersion: policy.ackguard.dev).
func governanceNearMiss(gvk schema.GroupVersionKind) string {
	switch gvk.Kind {
	case kindPolicy, kindException, kindPolicy + "List", kindException + "List":
	default:
		return ""
	}
	group := v1alpha1.GroupVersion.Group
	switch {
	case gvk.Group == group:
		return ""
	case gvk.Group == "" && gvk.Version == group:
		return fmt.Sprintf("apiVersion %s names no version: ackguard's %s is %s", gvk.Version, gvk.Kind, v1alpha1.GroupVersion)
	}
	return fmt.Sprintf("apiVersion %s: ackguard's %s is in API group %s (%s)", gvk.GroupVersion(), gvk.Kind, group, v1alpha1.GroupVersion)
}

// misspells reports whether the API group g misspells the ACK group want
// (SERVICE.services.k8s.aws), an edit being a byte added, removed, replaced
// or swapped with the next: one edit anywhere (s3services.k8s.aws); the
// same service and at most three edits in the rest (s3.service.k8s.aws,
// s3.services.k8s.io); the same rest and one edit in the service
// (iamm.services.k8s.aws). Not two edits in the service, where other ACK
// services lie (mq, iot and iam; ecr, ecs and ec2 are one apart, but
// have no kind of the same name).
func misspells(g, want string) bool {
	if cmdutil.EditDistance(g, want) <= 1 {
		return true
	}
	svc, rest, _ := strings.Cut(g, ".")
	wantSvc, wantRest, _ := strings.Cut(want, ".")
	switch {
	case svc == wantSvc:
		return cmdutil.EditDistance(rest, wantRest) <= 3
	case rest == wantRest:
		return cmdutil.EditDistance(svc, wantSvc) <= 1
	}
	return false
}

// policyReads reports whether --policy reads an object: a GuardrailPolicy,
// a GuardrailException (or another object of their group, an error), a
// Namespace, ACK's role map ConfigMaps, or a resource of a kind the rules
// guard or read (its status may name an owner account, rules may refer
// to it).
func policyReads(reg *rules.Registry, meta view.Meta, ackNamespace string) bool {
	switch gk := meta.GVK.GroupKind(); {
	case gk.Group == v1alpha1.GroupVersion.Group, gk == namespaceKind, reg.Guards(gk), slices.Contains(referenced, gk):
		return true
	case gk == configMapKind:
		return (meta.Name == owners.AccountMapName || meta.Name == owners.TeamMapName) && ackNamespace != "" && meta.Namespace == ackNamespace
	}
	return false
}

// items judges the items of a list: any object with an items array, as
// kubectl's decoder reads it (a List, a BucketList, or an object of any
// other kind that has items).
func (s *scanner) items(source string, obj map[string]any, items []any, loc locator, mode readMode) {
	kind, _ := obj["kind"].(string)
	apiVersion, _ := obj["apiVersion"].(string)
	itemKind := strings.TrimSuffix(kind, "List")
	for i, it := range items {
		if s.done() {
			return
		}
		src := source + "[" + strconv.Itoa(i) + "]"
		item, ok := it.(map[string]any)
		if !ok {
			// kubectl refuses the list; skipping the item would pass what
			// it holds unjudged.
			s.errorf(src, "%s", notAnObjectItem(it, loc.item(i)))
			continue
		}
		// The API server leaves apiVersion and kind out of the items of a
		// typed list (BucketList); client-go fills them in from the list.
		_, hasAV := item["apiVersion"]
		_, hasKind := item["kind"]
		if !hasAV && !hasKind && itemKind != "" && apiVersion != "" {
			filled := make(map[string]any, len(item)+2)
			for k, v := range item {
				filled[k] = v
			}
			filled["apiVersion"] = apiVersion
			filled["kind"] = itemKind
			item = filled
		}
		s.value(src, item, loc.item(i), mode)
	}
}

// judge queues one guarded resource for judgement.
// judge keeps, in the first pass, the objects rules refer to; in the
// second, it judges the resource (unless read for --policy only).
func (s *scanner) judge(source string, obj map[string]any, meta view.Meta, loc locator, mode readMode) {
	switch {
	case s.pass == collectPass:
		if slices.Contains(referenced, meta.GVK.GroupKind()) {
			s.keepRef(obj, mode)
		}
		// The account ACK synced the resource in is an owner account,
		// when the status is the cluster's: read from --policy (an export
		// of the cluster). A manifest's status never reaches the cluster
		// (the API server drops it on create), so the webhook would not
		// count it either.
		if a := meta.OwnerAccountID; a != "" && mode == readGovernance {
			s.observeOwners(source, lineAt(loc), owners.Origin{Source: owners.FromStatus, Name: meta.GVK.Kind + " " + describeName(meta.Namespace, meta.Name, meta.Namespace != "")}, []string{a})
		}
	case mode == readAll:
		s.report(s.eng, s.resolver, pendingResource{source: source, origin: s.reading, obj: obj, meta: meta, loc: loc})
	}
}

var (
	namespaceKind = schema.GroupKind{Kind: "Namespace"}
	configMapKind = schema.GroupKind{Kind: "ConfigMap"}
)

// report decides one guarded resource as admission would on its creation
// and records its findings.
func (s *scanner) report(eng *governance.Engine, resolver rules.Resolver, p pendingResource) {
	source, obj, meta := p.source, p.obj, p.meta
	if problems := s.refused(obj, meta); len(problems) > 0 {
		// The API server refuses it before admission: nothing is judged.
		// Where it starts, as a decoding error says its line: in the
		// file, or in the built stream of a built or rendered directory.
		name, at := describeName(meta.Namespace, view.ReadIdentity(obj).Name, true), ""
		if l := p.loc.start().line; l > 0 {
			at = fmt.Sprintf("line %d: ", l)
		}
		for _, msg := range problems {
			s.failf(source, "%s%s %s: %s", at, meta.GVK.Kind, name, msg)
		}
		return
	}
	base, update := s.base[baseKey(obj)]
	// An UPDATE that leaves the spec and the adoption policy as they were
	// never reaches the webhook (its match condition): the cluster admits
	// it without a warning, whatever the object already had.
	unjudged := update && !webhookconfig.JudgesUpdate(base.obj, obj)
	var d *governance.Decision
	if !unjudged { // else nothing reads a decision
		var err error
		if d, err = s.admit(eng, resolver, obj, meta, base.obj); err != nil {
			s.failf(source, "%v", err)
			return
		}
	}
	apiVersion, _ := obj["apiVersion"].(string)
	res := Resource{
		APIVersion: apiVersion,
		Kind:       meta.GVK.Kind,
		Namespace:  meta.Namespace,
		Name:       meta.Name,
		Source:     source,
	}
	if update {
		res.Base = base.source
	}
	s.rep.Summary.Resources++
	if ns := meta.Namespace; ns != "" && s.namespaces[ns] == nil && !slices.Contains(s.unlabelled, ns) {
		s.unlabelled = append(s.unlabelled, ns)
	}
	if unjudged {
		// No rule runs on it: no finding, and no JUnit test case (its
		// rules did not pass, they did not run), as in JSON and SARIF.
		s.unchanged++
		return
	}
	judged := judgedResource{Resource: res, origin: p.origin, seq: s.rep.Summary.Resources, at: p.loc.start()}
	if len(s.rules) > 0 {
		if s.ran == nil {
			s.ran = map[string]bool{}
		}
		for _, id := range s.evaluated(meta.GVK.GroupKind(), d.Judgement) {
			s.ran[id] = true
		}
	}
	if s.opts.Output == OutputJUnit {
		// Every rule evaluated on every resource is a test case; other
		// outputs keep only the resources with findings.
		judged.rules = s.evaluated(meta.GVK.GroupKind(), d.Judgement)
		s.rep.judged = append(s.rep.judged, judged)
	}
	denied, warned := false, false
	for _, o := range d.Outcomes() {
		if !s.selected(o.RuleID) {
			continue
		}
		f := s.finding(o.Result, res, o.Denies, o.Note)
		if slices.ContainsFunc(o.Path, view.IsIndex) {
			f.field, f.element = o.Path.Unindexed(), view.LookupJSON(obj, o.Path)
		}
		at := p.loc.find(o.Path)
		f.Line, f.Column = at.line, at.col
		f.origin, f.seq = p.origin, judged.seq
		if ex := o.Exception; ex != nil {
			s.rep.Exempted = append(s.rep.Exempted, Exempted{Finding: f, Exception: ExceptionRef{
				Namespace: ex.Namespace, Name: ex.Name, Reason: ex.Reason,
				ExpiresAt: formatTime(ex.ExpiresAt), Source: s.exceptionSource(ex.Namespace, ex.Name),
			}})
			continue
		}
		s.rep.Findings = append(s.rep.Findings, f)
		denied = denied || o.Denies
		warned = warned || !o.Denies
	}
	if len(s.rules) == 0 && len(s.skipRules) == 0 {
		// Every rule reported: the decision as admission makes it.
		denied, warned = !d.Allowed(), len(d.Warnings) > 0
	}
	switch {
	case denied:
		s.rep.Summary.Denied++
	case warned:
		s.rep.Summary.Warned++
	}
}

// finding renders a result: "deny" when it denies the creation (for an
// exempted result: would deny without its exception), "warn" when
// admission admits it with a warning (note says why, for a result that
// would otherwise deny).
func (s *scanner) finding(r governance.Result, res Resource, denies bool, note string) Finding {
	title := ""
	if rule := s.reg.Rule(r.RuleID); rule != nil {
		title = rule.Title
	}
	action := string(rules.Warn)
	if denies {
		action = string(rules.Deny)
	}
	return Finding{
		Rule:         r.RuleID,
		Severity:     string(r.Severity),
		Action:       action,
		Resource:     res,
		Path:         r.Path.String(),
		Message:      r.Message,
		Remedy:       r.Remedy,
		Title:        title,
		Fixable:      r.Fixable,
		Policy:       r.Policy(),
		PolicyAction: string(r.Action),
		Note:         note,
		subject:      r.Subject,
	}
}

// admit decides the resource's creation under the policies in force, in
// its namespace (the one its manifest sets, "" when it sets none), or its
// UPDATE from old when the base holds it. The
// registry already turns a panicking rule into a deny finding; this also
// covers the code around the rules, so that a bug fails the scan instead
// of passing the resource.
func (s *scanner) admit(eng *governance.Engine, resolver rules.Resolver, obj map[string]any, meta view.Meta, old map[string]any) (d *governance.Decision, err error) {
	defer func() {
		if p := recover(); p != nil {
			d, err = nil, fmt.Errorf("internal error while evaluating the resource (%v); report this to the ackguard maintainers", p)
		}
	}()
	op := governance.Create
	if old != nil {
		op = governance.Update
	}
	return eng.Admit(governance.Request{
		Operation: op,
		OldObject: old,
		Object:    obj,
		Namespace: s.namespace(meta.Namespace),
		Now:       s.now,
		Resolver:  resolver,
	}), nil
}
