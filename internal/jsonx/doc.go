// Package jsonx is a small, strict JSON parser for untrusted policy
// documents such as AWS IAM identity policies, resource policies and S3
// bucket policies.
//
// It exists because encoding/json is the wrong tool for a security rule
// engine that has to reason about exactly what a policy says:
//
//   - Duplicate object keys. encoding/json silently keeps the last
//     occurrence of a duplicated key, while other consumers of the same
//     document may keep the first or reject it. A policy such as
//
//     "Condition": {"StringEquals": {...}, "StringEquals": {...}}
//
//     therefore means different things to different readers, which is
//     exactly the kind of ambiguity an attacker can exploit to slip a
//     statement past review. Parse rejects every duplicate key with a
//     [*DuplicateKeyError] that names the offending key, its position and
//     a JSONPath-like path such as Statement[1].Condition.StringEquals.
//
//   - Byte offsets. Every [Node] records the byte range of its value in
//     the original input (and every [Member] the offset of its key), so a
//     fixer can rewrite one statement by splicing bytes while leaving the
//     rest of the document, including its formatting and key order,
//     byte-for-byte identical. Object members are kept in document order.
//
//   - Bounded input. Documents come from untrusted sources, so [Limits]
//     bounds the input size (checked before any work is done) and the
//     nesting depth (checked before descending, so pathological inputs
//     such as 100,000 nested '[' fail immediately without growing the
//     stack). Parsing runs in time linear in the input size and never
//     panics.
//
// Apart from rejecting duplicate keys and enforcing limits, Parse accepts
// exactly the documents accepted by [encoding/json.Valid] and decodes
// strings the same way encoding/json does: escapes, including UTF-16
// surrogate pairs, are decoded; lone surrogates and invalid UTF-8 bytes
// are replaced by U+FFFD. Numbers are validated against the JSON grammar
// and kept as their literal text so no precision is lost.
//
// A well-formed document is read by a scanner of its own in one pass
// over the bytes. Whatever the scanner would have to refuse (a syntax
// error, a duplicate key, a nesting limit) is read again from the start
// with a github.com/go-json-experiment/json/jsontext Decoder (the
// encoding/json/v2 tokenizer), which reads the input in place and names
// what is wrong: every syntax, duplicate-key and nesting error comes from
// that path, and carries the byte offset (and for the first two the line
// and column) of the offending byte. Both paths build the same tree
// (FuzzScanMatchesTokenizer).
//
// Parse copies its input once; strings without escapes and numbers are
// substrings of that copy, so they cost no additional allocation. Nodes and
// member/item slices are carved out of a few shared slabs.
package jsonx
