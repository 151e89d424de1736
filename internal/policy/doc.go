// Package policy parses and interprets documents written in the IAM policy
// grammar: S3 bucket policies, IAM identity policies and role trust
// policies. One parser serves every rule that reads such a document.
//
// Parse is strict where encoding/json is lenient: duplicate keys, unknown
// elements, an Effect other than Allow/Deny, partial wildcards in a
// principal, and documents over the service size limit are reported as
// Problems (rule POL-001), never silently decoded.
//
// The semantics follow the ackguard rule catalog, section 10.1:
//   - Statement is an object or an array of objects (A1); element values are
//     strings or arrays of strings (A2).
//   - "Principal":"*" is the same as {"AWS":"*"}; one "*" in an AWS array
//     makes the statement all-principal (B1).
//   - Action names compare case-insensitively, "*" matches any run of
//     characters and "?" one character (D1, D2); a statement allows an
//     action when it matches an Action pattern or matches no NotAction
//     pattern (D3).
//   - The public classifier (C1-C7) mirrors S3's own definition of a public
//     policy, so admission predicts what S3 would reject under
//     BlockPublicPolicy.
package policy
