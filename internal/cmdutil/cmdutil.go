// Package cmdutil holds what ackguard's commands share: how an error
// becomes an exit code and a message.
//
// Exit codes follow the scan's contract for every command: 0 success, 1 a
// finding that would be denied (or a manager that stopped on an error),
// 2 a usage error (unknown command or flag, wrong arguments, invalid flag
// value) or input that cannot be used.
package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Exit codes.
const (
	ExitOK = 0
	// ExitFailure: the scan found a resource that would be denied, or the
	// manager stopped on an error.
	ExitFailure = 1
	// ExitUsage: a usage error or input that cannot be used.
	ExitUsage = 2
)

// ExitError ends a command with Code. Err, when set, is printed without
// the command's usage (the arguments were right, the work failed); when
// nil, the command has already said what went wrong.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an error that ends the command with code and prints nothing
// more (nil for code 0).
func Exit(code int) error {
	if code == ExitOK {
		return nil
	}
	return &ExitError{Code: code}
}

// Fail returns an error that ends the command with code and prints err,
// without the usage.
func Fail(code int, err error) error { return &ExitError{Code: code, Err: err} }

// Execute runs cmd with args (without the program name) and returns the
// exit code. Help goes to cmd's output; errors go to stderr: an ExitError
// as it says; an invalid flag value in one line, exit code 2 (the message
// says what the flag takes, and the usage would scroll it away); any other
// error (cobra's own for unknown commands, flags and arguments) with the
// failing command's usage, exit code 2.
func Execute(cmd *cobra.Command, args []string, stderr io.Writer) int {
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	cmd.SetArgs(args)
	failed, err := cmd.ExecuteC()
	if err == nil {
		return ExitOK
	}
	if ee, ok := errors.AsType[*ExitError](err); ok {
		if ee.Err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	if _, ok := errors.AsType[*pflag.InvalidValueError](err); ok {
		return ExitUsage
	}
	if failed != nil {
		fmt.Fprintf(stderr, "\n%s", failed.UsageString())
	}
	return ExitUsage
}

// Enum is a flag value restricted to a fixed set of words, so that a bad
// value is a usage error when the flags are parsed.
type Enum struct {
	value   *string
	allowed []string
}

// NewEnum returns an Enum that writes into value (its current value is the
// default) and accepts only allowed.
func NewEnum(value *string, allowed ...string) *Enum {
	return &Enum{value: value, allowed: allowed}
}

func (e *Enum) String() string { return *e.value }

// Type is the word help shows for the value.
func (e *Enum) Type() string { return strings.Join(e.allowed, "|") }

// Set accepts one of the allowed words.
func (e *Enum) Set(v string) error {
	if !slices.Contains(e.allowed, v) {
		return fmt.Errorf("want %s", quoted(e.allowed))
	}
	*e.value = v
	return nil
}

// Allowed returns the words Set accepts, for shell completion.
func (e *Enum) Allowed() []string { return slices.Clone(e.allowed) }

func quoted(words []string) string {
	switch len(words) {
	case 0:
		return "nothing"
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// Namespace is a flag value naming a Kubernetes namespace: empty, or a
// name the API server refuses for a namespace, is a usage error when the
// flags are parsed (an unset variable in a pipeline's "-n $NS" must not
// quietly mean another namespace).
type Namespace struct{ value *string }

// NewNamespace returns a Namespace that writes into value (its current
// value is the default).
func NewNamespace(value *string) *Namespace { return &Namespace{value: value} }

func (n *Namespace) String() string { return *n.value }

// Type is "string", so that help quotes the default as for any string
// flag (the usage names the value NAMESPACE).
func (n *Namespace) Type() string { return "string" }

// Set accepts a namespace name: a DNS-1123 label, as the API server
// validates a Namespace's name.
func (n *Namespace) Set(v string) error {
	if v == "" {
		return errors.New("the namespace is empty: name one, such as default")
	}
	if errs := validation.IsDNS1123Label(v); len(errs) > 0 {
		return fmt.Errorf("%q is not a namespace name: %s", v, strings.Join(errs, "; "))
	}
	*n.value = v
	return nil
}

// EditDistance is the number of bytes to add, remove, replace or swap with
// the next one to turn a into b (the optimal string alignment distance):
// how far a misspelt name (a rule ID, an API group) is from the one meant.
func EditDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j], three rows kept.
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
