// Command genrulesdoc writes docs/rules.md, the rule reference, from the
// rule registry and each rule's documentation (internal/rules/docs) to
// standard output. hack/manifests.sh runs it (make manifests), and make
// verify fails when docs/rules.md differs from its output.
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/ackguard/ackguard/internal/ruledoc"
	"github.com/ackguard/ackguard/internal/rules"
)

func main() {
	w := bufio.NewWriter(os.Stdout)
	if err := ruledoc.WriteReference(w, rules.Default()); err != nil {
		fmt.Fprintln(os.Stderr, "genrulesdoc:", err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "genrulesdoc:", err)
		os.Exit(1)
	}
}
