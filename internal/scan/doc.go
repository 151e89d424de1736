// Package scan implements "ackguard scan": it judges Kubernetes manifests
// offline, with the same rule engine the admission webhook uses, so that a
// GitOps pipeline can refuse a change before it reaches a cluster.
//
//	ackguard scan [--output text|json|sarif|junit] [--fail-on deny|warn|never] [--rules GLOBS] [--skip-rules GLOBS]
//	    [--exclude GLOB]... [--kustomize=false] [--values FILE]... [--api-versions VERSIONS]...
//	    [--release-name NAME] [--release-namespace NS] [-n|--namespace NS]
//	    [--owner-account ID]... [--policy PATH]... [--now TIME] PATH...
//
// # Inputs
//
// A PATH is a file, a directory or "-" for standard input. Directories are
// walked recursively in lexical order; only files ending in .yaml, .yml or
// .json are read, directories whose name starts with "." (.git, .github)
// are skipped, and symbolic links to directories are not followed (their
// target is scanned under its own path when it is inside the tree). A file
// named explicitly is read whatever its name. --exclude GLOB (repeatable)
// leaves out what a walk finds: a glob without a slash matches a name
// (vendor, *.test.yaml), one with a slash the path as found or relative to
// the directory given (charts/*/ci; a ** segment matches any number of
// directories, **/ci); slashes that end a glob are dropped (vendor/ is
// vendor).
//
// A directory holding a kustomization (kustomization.yaml, .yml or
// Kustomization) is built in-process with kustomize's API, as "kubectl
// apply -k" would, and the built objects are judged instead of its files:
// a patch is judged applied to its base. Only local files are read (no
// remote base, no plugin, no exec or container function, no Helm
// inflation); --kustomize=false reads such a directory as plain files. A
// directory holding Chart.yaml is rendered with Helm's packages as "helm
// template" would: default values, then each --values file in order (a
// values file that cannot be read, or values given while no input is a
// chart, is an input error; each is read once, before any input, and every
// chart is rendered with what was read, so a pipe such as <(sops -d
// values.yaml) serves them all; --values - reads standard input, which no
// PATH, --policy or --base may then read: a usage error),
// release --release-name (release-name) in --release-namespace (by
// default --namespace, as helm template -n sets both), hooks included; dependencies must be vendored in charts/. Its templates
// see served (.Capabilities.APIVersions) helm's defaults, the
// group/version and group/version/Kind of every kind ackguard guards or
// reads, and each --api-versions, as helm template --api-versions. A document
// that does not decode only because of its "{{ ... }}" actions is a Helm
// template read outside its chart: it is skipped, and one note lists such
// files (or "file#N" when other documents of the file are not templates:
// those are judged).
//
// A file holds a YAML stream (documents separated by "---") or a stream of
// JSON values. Each document is judged when its apiVersion and kind name a
// kind the rule registry guards (S3 Bucket, IAM Role, Policy, User and
// Group, RDS DBInstance, DBCluster, DBParameterGroup,
// DBClusterParameterGroup and DBProxy, EC2 SecurityGroup and NetworkACL,
// Lambda Function, Alias and FunctionURLConfig); GuardrailPolicies,
// GuardrailExceptions and Namespaces are read (see below); other objects
// are skipped and counted ("skipped" in the summary), never an error (but
// for an unknown kind of policy.ackguard.dev: see below, and a near miss
// of an ACK kind: an object of a kind the scan guards or reads whose API
// group misspells ACK's (one edit anywhere, up to three after the
// service's name, one in the service's name: s3.service.k8s.aws,
// s3.services.k8s.io), names no version (apiVersion: s3.services.k8s.aws),
// or of ACK's group with its kind in other case (kind: bucket), is an input
// error at its line, as the cluster refuses it; the same kind in an
// unrelated group, a Crossplane s3.aws.upbound.io Bucket, is skipped; a
// kind of such an ACK group a few edits from one the scan guards or reads
// there, or from its plural (Buckett, SecurityGroups, Policies), is
// skipped with a warning at its line,
// not an error, since ACK may add kinds: "... is not a kind ackguard
// guards; did you mean Bucket?" on standard error, in a note, in the
// JSON warnings, as a SARIF notification of level warning and a skipped
// JUnit test case); empty documents
// are skipped and not counted. A PATH that holds no object (an empty file,
// a directory without manifests, nothing on standard input) judges
// nothing: the scan passes, as kubeconform does, but names it in a note,
// the JSON warnings, a SARIF notification of level warning, a skipped
// JUnit test case and on standard error ("warning:
// PATH: holds no Kubernetes object ..."), with every output format; a chart that renders none with the values
// given, or a kustomization that builds none, likewise, with its values
// and resources to check rather than its path. A document whose top level is not an object
// (a YAML list of Buckets without a List around it, a stray string) is an
// input error at its line, as kubectl refuses it. An object with an items array is a list, as
// kubectl's decoder reads it whatever its kind (a List, a BucketList, a
// ConfigMap with items): its items are judged, not the object itself (an
// item that is not an object is an input error at its line, as kubectl
// refuses the list); items of a typed list such as
// BucketList that carry neither apiVersion nor kind inherit them from the
// list, as client-go does.
//
// Every judged resource has a source: the path for a file with one
// document, "path#N" for document N (0-based, counting the documents that
// are not blank) of a file with several (or of a file read as a stream),
// "-" or "-#N" for standard input, "DIR (kustomize build)#N" and "DIR (helm
// template)#N" for document N of what a directory built to, and "[i]"
// appended for item i of a list ("all.yaml#2[0]"). With Options.Base
// (--base), a resource found in the base under the same kind, namespace
// and name is judged as the UPDATE from it, and its resource.base says
// where it was found there; one whose spec and adoption-policy annotation
// are the base's has no findings, since the webhook's match condition
// (webhookconfig.JudgedChange) keeps such an UPDATE from the webhook, and
// a note counts them.
//
// Every finding has a line and column (1-based; lines end at LF, CRLF, a
// lone CR, NEL, LS or PS, as the YAML decoders read them) where its field
// is written, found in the YAML node tree: the key of the field at fault, at
// any depth, in any document of a stream and in the items of a List; for
// a finding inside an embedded JSON document (a bucket policy written as a
// string), the key of the field holding it ("policy:"); for a field that is
// absent, the key of its nearest present parent ("spec:" for a missing
// spec.publicAccessBlock), or the first key of the resource. For a built
// or rendered resource they count in the built stream, as "kustomize build
// DIR" or "helm template DIR" (with the same values and release) prints
// it; the text output names the chart template that rendered it (helm's
// "# Source:" comment), and SARIF and JUnit point at the kustomization
// file or that template.
//
// Inputs are bounded: a document larger than 16 MiB is not read; a file or
// standard input larger than that is read as a stream of YAML documents,
// one at a time (a JSON stream that large is refused), so a stream of any
// size is judged in bounded memory. Resources are judged in a second pass
// over the inputs, once every policy, exception and Namespace is read:
// only IAM Policies and Roles (which other resources refer to) are held
// between the passes; built directories are built once, and an input that
// can be read only once (standard input, a pipe such as a process
// substitution or /dev/stdin, a named FIFO) is read once and kept for the
// second pass: in memory up to 16 MiB, in a temporary file above. What aliases expand to
// is bounded too (at most max(1 MiB, the document's size) more bytes of
// text and max(10000, its node count) more nodes): a document of aliases
// to one large string is an input error before it is expanded. A file that cannot be read, and a document that does not decode
// (including a mapping with a duplicate key, which tools resolve
// differently), is reported as an error; scanning continues with the next
// document or file. A guarded resource the API server would refuse
// before admission is an error too, and is not judged: metadata that does
// not decode or is invalid (a label value that is not a string, a name
// that is not a DNS subdomain), a field the rules read with a type or
// value its CRD refuses (fromPort: "22"), or a required one missing (a
// Bucket without spec.name); the schemas are those of internal/ackcrds,
// which type the fields the rules read as ACK's CRDs do. A bucket policy
// that is not valid JSON is not an error: the engine reports it as a
// POL-001 finding.
//
// # Policies and exceptions
//
// Resources are judged as the cluster judges them, by the governance
// engine (internal/governance) the webhook and the reconciler use:
// GuardrailPolicy and GuardrailException objects
// (policy.ackguard.dev/v1alpha1) are read wherever they appear — in the
// PATHs, in the same stream as the manifests, and in the files and
// directories given with --policy (repeatable; "-" is standard input),
// where only they and Namespaces are read and other documents are not
// judged; a --policy input that holds none of them (nor a resource of a
// kind the scan reads there, nor ACK's role map) is an input error naming
// it, rather than a scan under the baseline (but for an empty List, which
// kubectl get -o yaml prints for a cluster that holds none: that cluster
// judges under the baseline). Everything is read before anything is judged, so the order of
// the inputs does not matter.
//
// With no GuardrailPolicy, the built-in baseline applies: every rule at
// its catalog default, the judgement the scan has always made. With
// policies, only those that select a resource apply to it, and each
// finding takes the strictest action of the policies that do; a resource
// no policy selects has no findings. --owner-account gives the defaults a
// policy's parameters override. A namespaceSelector matches the labels of
// the v1 Namespace objects in the input (and kubernetes.io/metadata.name,
// which every namespace has). A namespaced object whose manifest sets no
// namespace is judged in --namespace (default "default"), where kubectl
// apply -n creates it, as its findings report it: the policies and
// exceptions of that namespace apply (an exception that sets none is in
// that namespace too); a chart's objects that set none are judged in the
// release namespace (--release-namespace, by default --namespace), where
// helm install -n puts them. Cluster-scoped objects (a Namespace, a
// GuardrailPolicy) stay without one. When a policy in force selects
// namespaces by labels (other than kubernetes.io/metadata.name), a note
// names the namespaces of judged resources that have no Namespace object
// in the input: their labels are unknown, and they were judged without.
//
// A GuardrailException in force (at --now, default the current time)
// moves the findings it exempts from "findings" to "exempted": admission
// would admit them. An exception past its expiry is reported with the
// state Expired, and its findings count again; that is not an input
// error.
//
// Policy, exception and Namespace objects are checked as the API server
// would check them: against the OpenAPI schema of ackguard's CRDs (types,
// enumerations such as the actions, patterns, bounds, required fields),
// strictly decoded (an unknown or wrongly cased field is an error, as with
// kubectl's default field validation), then by governance validation
// (unknown rule IDs, unguarded kinds, invalid selectors, an exception
// without a reason or running longer than the policies allow). Each
// problem is an input error that gives the line where the object starts
// ("SOURCE: line N: GuardrailPolicy NAME: FIELD: problem"), as do the
// errors about a Namespace; a policy with problems still applies as far as it decodes,
// as the engine would apply it, but for one whose selectors do not parse:
// it selects nothing and is not listed in "policies"; nor is one without a
// name, which a cluster cannot hold: it is not in force. Two different objects of the same kind and
// name are an error (a cluster holds one); the same object read twice is
// not. A policy.ackguard.dev object of another version than v1alpha1 is an
// error, and so is one of another kind than GuardrailPolicy,
// GuardrailException and their Lists (a misspelt kind, a missing one):
// the cluster would refuse it, and it is not read. So is a GuardrailPolicy
// or GuardrailException (or their Lists) of another group (a misspelt
// one, or the group given as the version), in a PATH or a --policy input. Problems found by governance validation are reported after those
// found while reading.
//
// # JSON output
//
// With --output json, standard output carries exactly one JSON object,
// indented with two spaces. It is a published interface: fields may be
// added to objects, never renamed or removed, and arrays are [] when
// empty, never null.
//
//	{
//	  "findings": [
//	    {
//	      "rule": "S3-002",             // rule ID
//	      "severity": "Critical",       // Critical, High, Medium or Low
//	      "action": "deny",             // "deny" or "warn": what admission would do
//	      "resource": {
//	        "apiVersion": "s3.services.k8s.aws/v1alpha1",
//	        "kind": "Bucket",
//	        "namespace": "default",     // --namespace when the manifest sets none
//	        "name": "public-bucket",
//	        "source": "examples/insecure.yaml#0",
//	        "base": "base/buckets.yaml#0" // extension, only with --base: where the stored
//	                                    // object was read; the finding is of the UPDATE from it
//	      },
//	      "path": "spec.policy",        // field at fault, Kubernetes notation
//	      "message": "...",             // what is wrong
//	      "remedy": "...",              // what to change
//	      "title": "...",               // extension: the rule's title
//	      "fixable": false,             // extension: the reconciler's fix would resolve it
//	      "policy": "baseline",         // extension: the GuardrailPolicy that decided the action
//	      "policyAction": "Deny",       // extension: Enforce, Deny, Remediate or Audit
//	      "note": "",                   // extension: why a finding that would deny is admitted
//	                                    // (an adoption placeholder: action is then "warn")
//	      "line": 10,                   // extension: where the field is written, 1-based;
//	      "column": 3                   // 0 when unknown (see Inputs)
//	    }
//	  ],
//	  "errors": [
//	    {"source": "broken.yaml#1", "message": "invalid YAML: line 7: ...",
//	     "line": 7}                    // extension: the line the message names, 1-based,
//	                                    // counted as a finding's; 0 when the error is about
//	                                    // no one line (a file that cannot be read)
//	  ],
//	  "summary": {
//	    "resources": 3,  // guarded resources judged
//	    "findings": 5,   // len(findings)
//	    "denied": 1,     // resources with at least one deny finding
//	    "warned": 1,     // extension: resources with warn findings only
//	    "exempted": 2,   // extension: len(exempted)
//	    "skipped": 4,    // extension: objects read and not judged (not guarded kinds)
//	    "documents": 8   // extension: objects read from the PATHs, whatever their kind
//	                     // (each item of a List); 0 when there was nothing to judge
//	  },
//	  "exempted": [      // extension: findings a GuardrailException in force exempts
//	    {
//	      "rule": "S3-001", ...,        // every field of a finding; "action" is what
//	                                    // admission would do without the exception
//	      "exception": {
//	        "namespace": "team-a",
//	        "name": "public-site",
//	        "reason": "WEB-1234: static website",
//	        "expiresAt": "2026-03-01T00:00:00Z",
//	        "source": "policies/exceptions.yaml#0"
//	      }
//	    }
//	  ],
//	  "policies": [      // extension: the GuardrailPolicies in force, in input order
//	    {"name": "baseline", "source": "", "builtin": true}   // when the input has none
//	  ],
//	  "exceptions": [    // extension: every GuardrailException read, in input order
//	    {
//	      "namespace": "team-a",
//	      "name": "public-site",
//	      "source": "policies/exceptions.yaml#0",
//	      "state": "Active",            // Active, Expired or Invalid at the scan's time
//	      "message": "in force until 2026-03-01T00:00:00Z",
//	      "reason": "WEB-1234: static website",
//	      "expiresAt": "2026-03-01T00:00:00Z"
//	    }
//	  ],
//	  "notes": [         // extension: what was skipped that a reader could expect read,
//	                     // and namespaces judged without their labels
//	    "2 files skipped: Helm templates read outside their chart (...)"
//	  ],
//	  "ownerAccounts": [ // extension: the owner accounts the scan judged with
//	    {
//	      "id": "111122223333",
//	      "sources": ["namespace demo (services.k8s.aws/owner-account-id)"]
//	                                    // --owner-account, a Namespace's annotation, ACK's
//	                                    // cross-account role map, or a resource's status
//	    }
//	  ],
//	  "warnings": [      // extension: what the scan warns of on standard error, shaped
//	                     // as errors are; each also a note, none counts in the exit code
//	    {"source": "bucket.yaml", "message": "line 2: s3.services.k8s.aws/v1alpha1 Buckett ...",
//	     "line": 2}                    // a kind near one ackguard guards, at its line; a PATH
//	                                    // that holds no object, at 0
//	  ]
//	}
//
// "action" keeps its meaning: "deny" when the policies in force deny
// admission, "warn" when they admit with a warning. An exempted finding is
// not in "findings" and counts neither as denied nor as warned, so the exit
// code is what the cluster would do. A rule a policy disables has no
// finding at all.
//
// Findings are in input order (paths as given, files in lexical order,
// documents in stream order) and, for one resource, in rule catalog order;
// exempted findings likewise.
//
// # Text output
//
// The default output groups the findings by file and resource: one line
// per finding with "file:line:column", the action (DENY, WARN, EXEMPT),
// the rule, its severity, the field and the message; the remedy (or, for
// an exempted finding, the exception) on indented lines wrapped at 100
// columns; then the exceptions not in force, the policies in force when
// the input holds GuardrailPolicies (each finding then names the policy
// that decided it), notes, and a summary line. The rules that cannot
// evaluate one invalid policy document share one line, as they share one
// admission warning, each named with its severity ("S3-002, S3-003
// Critical; S3-006 Medium"):
//
//	examples/insecure.yaml
//	  Bucket default/public-bucket (#0)
//	    examples/insecure.yaml:10:3  DENY  S3-002 Critical  spec.policy: <message>
//	        <remedy>
//	3 resources, 5 findings, 1 denied, 1 warned, 2 other documents skipped
//
// Actions, severities and file names are coloured on a terminal, unless
// NO_COLOR is set (or TERM is dumb). Control characters in the text
// output are replaced by spaces, so a manifest cannot forge lines or
// terminal escapes in a CI log. Errors are written to standard error as
// "error: SOURCE: MESSAGE", with every output format.
//
// # SARIF and JUnit outputs
//
// --output sarif writes a SARIF 2.1.0 log for code scanning (see
// WriteSARIF): one reportingDescriptor per rule, with help and a helpUri
// into docs/rules.md#<rule-id-lowercased>; the rule's severity as level
// (Critical and High: error, Medium: warning, Low: note) and as
// properties.security-severity (Critical 9.5, High 8.0, Medium 5.5, Low
// 3.0); one result per finding located at its file, line and column
// (error when it denies), exempted findings as suppressed results, input
// errors as notifications located at their file and, when known, their
// line (the JSON errors[].line). --output junit writes JUnit XML (see
// WriteJUnit): one test case per resource and rule evaluated on it,
// failing when the finding fails the scan under --fail-on; a rule the
// policies disable, an opt-in rule they do not enable, a resource no
// policy selects, and one whose UPDATE from --base the webhook is not
// called for have none; an input error is a test case with an error at
// its file and line ("file:line" first in its text), and a warning a
// skipped test case there.
//
// # Adoption
//
// --rules S3-001,IAM-* reports only the rules matching these IDs or globs
// (repeatable), --skip-rules leaves out those matching; the findings of
// the other rules are not reported and neither deny nor warn. A glob that
// matches no rule is a usage error. --fail-on sets what exits 1: deny (the
// default), warn (a resource denied or admitted with warnings) or never.
//
// # Exit codes
//
//	0  nothing would be denied (with --fail-on warn: nothing denied or
//	   warned about; with --fail-on never: no input error)
//	1  at least one resource would be denied (with --fail-on warn: denied
//	   or admitted with warnings)
//	2  usage error (unknown flag, no path, bad --output, --fail-on,
//	   --rules, --skip-rules, --exclude, --owner-account or --now value,
//	   --values - beside an input -),
//	   or an input could not be read, decoded or built (including a
//	   GuardrailPolicy or GuardrailException with problems: one the cluster
//	   would refuse, or one naming rules or kinds this version does not
//	   know, which the cluster admits with a warning);
//	   this wins over 1
//
// "ackguard scan -h" prints the usage and exits 0.
package scan
