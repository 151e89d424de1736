package governance

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// Operation is what a request does to an object.
type Operation string

// Operations Admit decides.
const (
	// Create judges the whole object: everything it holds is introduced.
	// Its status is not judged: the API server drops it on creation.
	Create Operation = "CREATE"
	// Update judges what the new object introduces over OldObject; what
	// the old object already had is admitted with a warning and left to
	// the reconciler. The new object's status is OldObject's: an update
	// of the object cannot change it.
	Update Operation = "UPDATE"
	// Existing judges an object already stored (the reconciler's view):
	// no ratcheting, no requesting user, no adoption placeholder; the
	// denials are what admission would refuse were the object created now.
	Existing Operation = "EXISTING"
)

// Notes explain why a finding that would deny was admitted.
const (
	NoteExisting      = "already present before this update; the reconciler will handle it"
	NoteACKController = "admitted because the ACK controller wrote it; ackguard will remediate"
	// NoteACKControllerReported is the ACK controller's note for a finding
	// ackguard does not fix (the policy audits its drift, the rule has no
	// fix for it, or the object is read-only): it is reported, never
	// patched.
	NoteACKControllerReported = "admitted because the ACK controller wrote it; ackguard reports it and does not fix it"
	NoteAdoption              = "admitted for adoption: ACK fills the spec from AWS, then ackguard judges and remediates it"
	// NoteAwaitingAdoption is a stored placeholder's: nothing is fixed
	// until ACK has adopted the resource and filled the spec.
	NoteAwaitingAdoption = "awaiting adoption: ACK fills the spec from AWS, then ackguard judges and remediates it"
)

// Request is one admission request, as the webhook receives it and as
// scan (a CREATE) and the reconciler (Existing) pose it.
type Request struct {
	Operation Operation
	// Object is the object as it would be stored; OldObject the stored
	// one (UPDATE only; nil judges the UPDATE as a CREATE).
	Object    map[string]any
	OldObject map[string]any
	// Namespace is the object's namespace with its labels.
	Namespace Namespace
	// User is the requesting username; a write by an ACK controller that
	// the deciding policy names is admitted with a warning.
	User string
	// DryRun requests are judged exactly like others; the flag is carried
	// to the decision so that adapters skip their side effects.
	DryRun bool
	// Now is the time exceptions are judged at.
	Now time.Time
	// Resolver lets rules read related objects; nil means none.
	Resolver rules.Resolver
}

// Warning is a result admitted with a warning, with why it was admitted
// when it would otherwise deny.
type Warning struct {
	Result
	// Note says why a denial was admitted ("" for a rule that only warns).
	Note string
	// Folded are the other results this warning stands for: rules that
	// could not judge the same document for the same reason (one "cannot
	// evaluate" line per invalid document).
	Folded []Result
}

// Rules returns the IDs of the rules the warning stands for.
func (w Warning) Rules() []string {
	out := []string{w.RuleID}
	for _, r := range w.Folded {
		if !slices.Contains(out, r.RuleID) {
			out = append(out, r.RuleID)
		}
	}
	return out
}

// Results returns the results the warning stands for.
func (w Warning) Results() []Result {
	return append([]Result{w.Result}, w.Folded...)
}

// Decision is the single admission verdict for one request. The webhook
// renders it as an admission response, scan as findings, and the
// reconciler reads its judgement and denials.
type Decision struct {
	Operation Operation
	DryRun    bool
	// Denials refuse the request; the request is allowed when empty.
	Denials []Result
	// Warnings are admitted with a warning, in registry order.
	Warnings []Warning
	// Exempted are the results a GuardrailException in force exempts.
	Exempted []Result
	// Judgement is the judgement of the object (the new one on UPDATE).
	Judgement *Judgement
	// outcomes are every result with what admission made of it, in
	// registry order.
	outcomes []Outcome
	// awaitsAdoption is true for a stored adoption placeholder ACK has not
	// adopted yet: there is nothing to fix in it.
	awaitsAdoption bool
}

// FixRules returns the rules whose fixes the reconciler applies to the
// stored object: the judgement's, none while it awaits adoption.
func (d *Decision) FixRules() []string {
	if d.awaitsAdoption {
		return nil
	}
	return d.Judgement.FixRules()
}

// Outcome is what admission made of one result.
type Outcome struct {
	Result
	// Denies is true when the result refuses the request.
	Denies bool
	// Note says why a result that would deny was admitted.
	Note string
}

// Outcomes returns every result that admission denies, warns about or
// exempts, unfolded, in registry order.
func (d *Decision) Outcomes() []Outcome { return d.outcomes }

// Allowed reports whether the request is admitted.
func (d *Decision) Allowed() bool { return len(d.Denials) == 0 }

// Admit decides one request. It is the only place where admission is
// decided: the webhook, scan and the reconciler call it.
func (e *Engine) Admit(req Request) *Decision {
	// The object is judged as the API server admits it. A creation
	// drops the status (the kinds ackguard guards have a status
	// subresource): a manifest's status (one exported from a cluster) is
	// not the created object's, and the partition or ARN it names must
	// not change the verdict scan gives from the webhook's. An update
	// carries the stored object's status (none when it has none), as the
	// status subresource leaves an update of the object no way to change
	// it. The webhook receives it so; scan poses a manifest updating the
	// object its --base holds, whose status (none, or one exported) is not
	// the stored one: the partition, ARN or owner account the stored
	// status names must decide the verdict alike.
	switch {
	case req.Operation == Create:
		req.Object = view.WithoutStatus(req.Object)
	case req.Operation == Update && req.OldObject != nil:
		req.Object = view.WithStatusOf(req.Object, req.OldObject)
	}
	return e.Decide(req, e.Judge(req.Object, req.Namespace, req.Now, req.Resolver))
}

// Decide makes the admission decision for req from j, a judgement this
// engine already made of req.Object at req.Now (a judgement the webhook
// made, reused by the reconciler for the same object).
func (e *Engine) Decide(req Request, j *Judgement) *Decision {
	d := &Decision{Operation: req.Operation, DryRun: req.DryRun, Judgement: j}
	var had map[string]int
	var kept map[int]bool
	adoptsOnly := view.AdoptsOnly(req.Object)
	// An UPDATE that lifts "adopt" (to adopt-or-create, or none) from a
	// placeholder ACK has not adopted yet asks ACK to create from a spec
	// admitted only as a placeholder: it is judged as the creation it now
	// is. Once ACK adopted the resource, the annotation is history, and
	// dropping it (a GitOps manifest that no longer carries it) is an
	// UPDATE like any other.
	liftsAdoption := req.Operation == Update && req.OldObject != nil && !adoptsOnly &&
		view.AdoptsOnly(req.OldObject) && view.ReadMeta(req.OldObject).AwaitsAdoption()
	if req.Operation == Update && req.OldObject != nil && !liftsAdoption {
		// The old spec judged with the new labels: what the update
		// introduces is a spec change; a finding the spec already had that
		// a new label brings under a stricter policy is left to the
		// reconciler. Findings are counted by identity, so a second copy
		// of one the old object had is new.
		old := view.WithLabelsOf(req.OldObject, req.Object)
		oj := e.Judge(old, req.Namespace, req.Now, req.Resolver)
		had = make(map[string]int, len(oj.Results))
		for _, r := range oj.Results {
			had[r.IdentityKey()]++
		}
		kept = keptElements(req.OldObject, req.Object, oj.Results, j.Results, had)
	}
	// A placeholder is one that awaits adoption, at creation as once
	// stored: one created marked adopted, or with ACK's finalizer, is
	// judged and fixed by the reconciler, and so judged at creation.
	awaits := adoptsOnly && view.ReadMeta(req.Object).AwaitsAdoption()
	adoption := req.Operation == Create && awaits
	d.awaitsAdoption = req.Operation == Existing && awaits
	for i, r := range j.Results {
		switch {
		case r.Exception != nil:
			d.Exempted = append(d.Exempted, r)
			d.outcomes = append(d.outcomes, Outcome{Result: r, Denies: r.Admission == DenyAdmission})
		case r.Denies():
			note, key := "", ""
			if had != nil {
				key = r.IdentityKey()
			}
			switch {
			case kept[i]:
				note = NoteExisting
			case had[key] > 0 && !changedValue(req.OldObject, req.Object, r):
				had[key]--
				note = NoteExisting
			case req.Operation != Existing && req.User != "" && j.ACKControllerWrite(r, req.User):
				note = NoteACKController
				if !r.Fix || view.ReadOnly(req.Object) {
					note = NoteACKControllerReported
				}
			case adoption:
				note = NoteAdoption
			case d.awaitsAdoption:
				note = NoteAwaitingAdoption
			}
			d.outcomes = append(d.outcomes, Outcome{Result: r, Denies: note == "", Note: note})
			if note == "" {
				d.Denials = append(d.Denials, r)
			} else {
				d.warn(r, note)
			}
		case r.Admission == AdmitWithWarning:
			d.outcomes = append(d.outcomes, Outcome{Result: r})
			d.warn(r, "")
		}
	}
	return d
}

// keptElements picks, among the denying findings of the updated object
// (results) that an UPDATE could keep from the old one (oldResults) by
// identity, those whose element the old object has as it is: findings of
// one identity are counted (a user's policies under IAM-013, the rules
// of a default security group under EC2-006), so which of them the
// update introduces is a choice, and the element it kept is not the one
// to name (adding an ARN before the one a user had denies the added ARN,
// not the one it had). It returns their indexes in results and takes
// them from had; the others are matched by identity alone, as before.
//
// Many findings name one path (every statement's of a policy document
// names the document): each object's value at a path is rendered once,
// so the cost grows with the object, not with the findings times the
// size of the value they share.
func keptElements(old, updated map[string]any, oldResults, results []Result, had map[string]int) map[int]bool {
	type element struct{ key, value string }
	var olds map[element]int
	var kept map[int]bool
	oldValues, newValues := valuesAt(old), valuesAt(updated)
	for i, r := range results {
		if r.Subject == "" || r.Exception != nil || !r.Denies() || had[r.IdentityKey()] == 0 {
			continue
		}
		if olds == nil {
			olds = make(map[element]int, len(oldResults))
			for _, o := range oldResults {
				if o.Subject != "" {
					olds[element{o.IdentityKey(), oldValues(o.Path)}]++
				}
			}
		}
		e := element{r.IdentityKey(), newValues(r.Path)}
		if olds[e] == 0 {
			continue
		}
		olds[e]--
		had[e.key]--
		if kept == nil {
			kept = make(map[int]bool)
		}
		kept[i] = true
	}
	return kept
}

// valuesAt returns valueAt for obj, remembering the value rendered at
// each path.
func valuesAt(obj map[string]any) func(view.Path) string {
	seen := map[string]string{}
	return func(p view.Path) string {
		k := fmt.Sprintf("%q", []string(p))
		v, ok := seen[k]
		if !ok {
			v = view.LookupJSON(obj, p)
			seen[k] = v
		}
		return v
	}
}

// changedValue reports whether an UPDATE changed the value a finding with
// no subject names, where that value is a plain one (a flag, a number, a
// name such as a runtime or a canned ACL): setting it to another value
// that still fails ("public-read" to "public-read-write", a deprecated
// runtime to another) introduces the finding anew, though the old object
// had one of the same rule and field. Findings with a subject (a
// statement, a rule's range) are known by it; an object or a list keeps
// its finding whatever changed inside it, and so does a policy document
// held as a string (S3-006 finds no statement denying plain HTTP:
// re-indenting the document, or changing a statement unrelated to it,
// introduces nothing).
func changedValue(old, updated map[string]any, r Result) bool {
	if r.Subject != "" {
		return false
	}
	ov, inOld := view.Lookup(old, r.Path)
	nv, inNew := view.Lookup(updated, r.Path)
	if inOld != inNew {
		// A failing value set where there was none is introduced. A
		// field removed is not: what it leaves is ACK's default, and a
		// whole-object write (kubectl replace, a GitOps tool replacing)
		// drops the fields ACK filled in, as a fix removing a public
		// policy drops spec.policy.
		return inNew
	}
	if !inOld || !plainValue(ov) || !plainValue(nv) {
		return false
	}
	return ov != nv
}

// plainValue reports whether v is a JSON string, number, boolean or null,
// but for a string holding a JSON object or array (a policy document):
// that is an object too, only serialized.
func plainValue(v any) bool {
	switch v := v.(type) {
	case map[string]any, []any:
		return false
	case string:
		return !isDocument(v)
	}
	return true
}

// isDocument reports whether s is a JSON object or array.
func isDocument(s string) bool {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	return (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(s))
}

// warn adds a warning, folding an inconclusive result into an earlier one
// of the same field and reason: one invalid document gives one line, not
// one per rule that could not judge it.
func (d *Decision) warn(r Result, note string) {
	if r.Inconclusive {
		for i := range d.Warnings {
			w := &d.Warnings[i]
			if w.Inconclusive && w.Note == note && w.Message == r.Message && w.Path.Equal(r.Path) {
				w.Folded = append(w.Folded, r)
				return
			}
		}
	}
	d.Warnings = append(d.Warnings, Warning{Result: r, Note: note})
}

// WarningRules returns the rule IDs behind the warnings, once per rule
// and warning, in order.
func (d *Decision) WarningRules() []string {
	var out []string
	for _, w := range d.Warnings {
		out = append(out, w.Rules()...)
	}
	return out
}

// PolicyText renders a result with the policy that decided it: "S3-001: ...;
// set ... (policy baseline)".
func (r Result) PolicyText() string {
	t := r.Text()
	if p := r.Policy(); p != "" {
		t += " (policy " + p + ")"
	}
	return t
}

// Line renders the warning as one admission warning line:
// "spec.acl: S3-004: ...; ... (policy baseline) (note)". A folded
// inconclusive warning names every rule it stands for, and every policy
// that decided one of them ("(policies a, b)").
func (w Warning) Line() string {
	// PolicyText starts with the rule ID; a folded warning names them all.
	s := w.Path.String() + ": " + strings.Join(w.Rules(), ", ")
	if pols := w.policies(); len(pols) > 1 {
		s += strings.TrimPrefix(w.Text(), w.RuleID) + " (policies " + strings.Join(pols, ", ") + ")"
	} else {
		s += strings.TrimPrefix(w.PolicyText(), w.RuleID)
	}
	if w.Note != "" {
		s += " (" + w.Note + ")"
	}
	return OneLine(s)
}

// policies returns the policies that decided the results the warning
// stands for, in order, once each.
func (w Warning) policies() []string {
	var out []string
	for _, r := range w.Results() {
		if p := r.Policy(); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// ExemptionLine renders an exempted result as one admission warning line.
func ExemptionLine(r Result) string {
	ex := r.Exception
	return OneLine(fmt.Sprintf("%s: %s exempted by GuardrailException %s/%s until %s (%s)",
		r.Path, r.RuleID, ex.Namespace, ex.Name, ex.ExpiresAt.UTC().Format(time.RFC3339), ex.Reason))
}

// Lines returns every warning line of the decision: exemptions first,
// then the warnings, as an admission response carries them.
func (d *Decision) Lines() []string {
	out := make([]string, 0, len(d.Exempted)+len(d.Warnings))
	for _, r := range d.Exempted {
		out = append(out, ExemptionLine(r))
	}
	for _, w := range d.Warnings {
		out = append(out, w.Line())
	}
	return out
}

// FieldErrors returns the denials as field errors, one per finding, as
// the API server reports an invalid object.
func (d *Decision) FieldErrors() field.ErrorList {
	errs := make(field.ErrorList, 0, len(d.Denials))
	for _, r := range d.Denials {
		errs = append(errs, field.Forbidden(FieldPath(r.Path), OneLine(r.PolicyText())))
	}
	return errs
}

// FieldPath converts a view path to a field path: list indexes become
// indexes, keys that are not identifiers become map keys.
func FieldPath(p view.Path) *field.Path {
	if len(p) == 0 {
		return field.NewPath("")
	}
	fp := field.NewPath(p[0])
	for _, s := range p[1:] {
		switch {
		case view.IsIndex(s):
			// Rendered alike ([7]); a segment Atoi would change (leading
			// zeros: a map key such as an inline policy named "007", or
			// too large for an index) stays the key it is.
			if i, err := strconv.Atoi(s); err == nil && strconv.Itoa(i) == s {
				fp = fp.Index(i)
			} else {
				fp = fp.Key(s)
			}
		case view.IsIdent(s):
			fp = fp.Child(s)
		default:
			fp = fp.Key(s)
		}
	}
	return fp
}

// OneLine replaces control, line-separator and bidirectional-formatting
// characters with spaces: messages carry text from user input (names,
// policy text, file names), which must not forge log lines, split a
// warning or hide text behind terminal escapes.
func OneLine(s string) string {
	printable := true
	for i := 0; i < len(s) && printable; i++ {
		printable = s[i] >= 0x20 && s[i] < 0x7f
	}
	if printable {
		return s // printable ASCII: nothing to replace, nothing to copy
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Bidi_Control, unicode.Zl, unicode.Zp) {
			return ' '
		}
		return r
	}, s)
}
