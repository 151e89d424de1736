// Package scan implements "ackguard scan": it judges Kubernetes manifests
// offline, with the same rule engine the admission webhook uses, so that a
// GitOps pipeline can refuse a change before it reaches a cluster.
//
//	ackguard scan [--output text|json] [--owner-account ID]... [--policy PATH]... [--now TIME] PATH...
//
// # Inputs
//
// A PATH is a file, a directory or "-" for standard input. Directories are
// walked recursively in lexical order; only files ending in .yaml, .yml or
// .json are read, directories whose name starts with "." (.git, .github)
// are skipped, and symbolic links to directories are not followed (their
// target is scanned under its own path when it is inside the tree). A file
// named explicitly is read whatever its name.
//
// A file holds a YAML stream (documents separated by "---") or a stream of
// JSON values. Each document is judged when its apiVersion and kind name a
// kind the rule registry guards (S3 Bucket, IAM Role, Policy, User and
// Group, RDS DBInstance, DBCluster, DBParameterGroup,
// DBClusterParameterGroup and DBProxy, EC2 SecurityGroup and NetworkACL,
// Lambda Function, Alias and FunctionURLConfig); GuardrailPolicies, GuardrailExceptions and
// Namespaces are read (see below); other documents, empty documents and
// documents that are not objects are skipped and not counted. A List (kind "List", or any kind ending in
// "List" with an items array) is expanded; items of a typed list such as
// BucketList that carry neither apiVersion nor kind inherit them from the
// list, as client-go does.
//
// Every judged resource has a source: the path for a file with one
// document, "path#N" for document N (0-based, counting the documents that
// are not blank) of a file with several, "-" or "-#N" for standard input,
// and "[i]" appended for item i of a list ("all.yaml#2[0]").
//
// Inputs are bounded: a file or standard input larger than 16 MiB is not
// read. A file that cannot be read, and a document that does not decode
// (including a mapping with a duplicate key, which tools resolve
// differently), is reported as an error; scanning continues with the next
// document or file. A bucket policy that is not valid JSON is not an
// error: the engine reports it as a POL-001 finding.
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
// judged. Everything is read before anything is judged, so the order of
// the inputs does not matter.
//
// With no GuardrailPolicy, the built-in baseline applies: every rule at
// its catalog default, the judgement the scan has always made. With
// policies, only those that select a resource apply to it, and each
// finding takes the strictest action of the policies that do; a resource
// no policy selects has no findings. --owner-account gives the defaults a
// policy's parameters override. A namespaceSelector matches the labels of
// the v1 Namespace objects in the input (and kubernetes.io/metadata.name,
// which every namespace has); a resource whose manifest sets no namespace
// is judged in none ("", as its findings report it), so only policies
// whose namespaceSelector matches a namespace without labels select it,
// and only exceptions without a namespace exempt it.
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
// problem is an input error ("SOURCE: GuardrailPolicy NAME: FIELD:
// problem"); a policy with problems still applies as far as it decodes,
// as the engine would apply it. Two different objects of the same kind and
// name are an error (a cluster holds one); the same object read twice is
// not. A policy.ackguard.dev object of another version than v1alpha1 is an
// error. Problems found by governance validation are reported after those
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
//	        "namespace": "default",     // "" when the manifest sets none
//	        "name": "public-bucket",
//	        "source": "examples/insecure.yaml#0"
//	      },
//	      "path": "spec.policy",        // field at fault, Kubernetes notation
//	      "message": "...",             // what is wrong
//	      "remedy": "...",              // what to change
//	      "title": "...",               // extension: the rule's title
//	      "fixable": false,             // extension: the reconciler's fix would resolve it
//	      "policy": "baseline",         // extension: the GuardrailPolicy that decided the action
//	      "policyAction": "Deny",       // extension: Enforce, Deny, Remediate or Audit
//	      "note": ""                    // extension: why a finding that would deny is admitted
//	                                    // (an adoption placeholder: action is then "warn")
//	    }
//	  ],
//	  "errors": [
//	    {"source": "broken.yaml#1", "message": "invalid YAML: line 7: ..."}
//	  ],
//	  "summary": {
//	    "resources": 3,  // guarded resources judged
//	    "findings": 5,   // len(findings)
//	    "denied": 1,     // resources with at least one deny finding
//	    "warned": 1,     // extension: resources with warn findings only
//	    "exempted": 2    // extension: len(exempted)
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
// The default output is one line per finding, the findings of a resource
// together, then a summary line:
//
//	DENY  S3-002 Critical  Bucket default/public-bucket (examples/insecure.yaml#0)  spec.policy: <message>; <remedy>
//	3 resources, 5 findings, 1 denied, 1 warned
//
// When the input holds GuardrailPolicies, each finding line names the
// policy that decided it and its action, and a line lists the policies in
// force; exempted findings follow the findings, then the exceptions that
// are not in force, and the summary counts the exempted findings:
//
//	WARN  S3-002 Critical  Bucket team-a/site (site.yaml#0)  [policy audit-team-a: Audit]  spec.policy: <message>; <remedy>
//	EXEMPT  S3-001 High  Bucket team-a/site (site.yaml#0)  [exception team-a/public-site until 2026-03-01T00:00:00Z, else DENY by baseline: <reason>]  spec.publicAccessBlock: <message>
//	exception team-a/old-site (exceptions.yaml#1): Expired: expired at 2026-01-01T00:00:00Z
//	policies: audit-team-a (policies.yaml#0), baseline (policies.yaml#1)
//	1 resource, 3 findings, 0 denied, 1 warned, 2 exempted
//
// Control characters in the text output are replaced by spaces, so a
// manifest cannot forge lines or terminal escapes in a CI log. Errors are
// written to standard error as "error: SOURCE: MESSAGE", with either
// output format.
//
// # Exit codes
//
//	0  nothing would be denied
//	1  at least one resource would be denied
//	2  usage error (unknown flag, no path, bad --output, --owner-account or
//	   --now value), or an input could not be read or decoded (including a
//	   GuardrailPolicy or GuardrailException with problems: one the cluster
//	   would refuse, or one naming rules or kinds this version does not
//	   know, which the cluster admits with a warning);
//	   this wins over 1
//
// "ackguard scan -h" prints the usage and exits 0.
package scan
