// Package scan implements "ackguard scan": it judges Kubernetes manifests
// offline, with the same rule engine the admission webhook uses, so that a
// GitOps pipeline can refuse a change before it reaches a cluster.
//
//	ackguard scan [--output text|json] [--owner-account ID]... PATH...
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
// kind the rule registry guards (today s3.services.k8s.aws Bucket); other
// documents, empty documents and documents that are not objects are
// skipped and not counted. A List (kind "List", or any kind ending in
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
//	      "fixable": false              // extension: the reconciler's fix would resolve it
//	    }
//	  ],
//	  "errors": [
//	    {"source": "broken.yaml#1", "message": "invalid YAML: line 7: ..."}
//	  ],
//	  "summary": {
//	    "resources": 3,  // guarded resources judged
//	    "findings": 5,   // len(findings)
//	    "denied": 1,     // resources with at least one deny finding
//	    "warned": 1      // extension: resources with warn findings only
//	  }
//	}
//
// Findings are in input order (paths as given, files in lexical order,
// documents in stream order) and, for one resource, in rule catalog order.
//
// # Text output
//
// The default output is one line per finding, the findings of a resource
// together, then a summary line:
//
//	DENY  S3-002 Critical  Bucket default/public-bucket (examples/insecure.yaml#0)  spec.policy: <message>; <remedy>
//	3 resources, 5 findings, 1 denied, 1 warned
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
//	2  usage error (unknown flag, no path, bad --output or --owner-account
//	   value), or an input could not be read or decoded; this wins over 1
//
// "ackguard scan -h" prints the usage and exits 0.
package scan
