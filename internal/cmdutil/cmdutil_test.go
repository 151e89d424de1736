package cmdutil

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestExecute(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		args   []string
		code   int
		stderr []string
		// oneLine: stderr is the error alone, without the usage.
		oneLine bool
	}{
		{name: "success", code: 0},
		{name: "exit code only", err: Exit(ExitFailure), code: 1},
		{name: "exit 0 is success", err: Exit(ExitOK), code: 0},
		{name: "failure with message, no usage", err: Fail(ExitUsage, errors.New("boom")), code: 2, stderr: []string{"Error: boom\n"}},
		{name: "plain error is a usage error", err: errors.New("bad"), code: 2, stderr: []string{"Error: bad\n", "Usage:"}},
		{name: "unknown flag", args: []string{"--bogus"}, code: 2, stderr: []string{"unknown flag: --bogus", "Usage:"}},
		{name: "bad enum", args: []string{"-o", "xml"}, code: 2, stderr: []string{`invalid argument "xml" for "-o, --output" flag: want a, b or c`}, oneLine: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := "a"
			cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return tt.err }}
			cmd.Flags().VarP(NewEnum(&out, "a", "b", "c"), "output", "o", "format")
			var stdout, stderr bytes.Buffer
			cmd.SetOut(&stdout)
			cmd.SetErr(&stderr)
			if code := Execute(cmd, tt.args, &stderr); code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr does not contain %q:\n%s", s, stderr.String())
				}
			}
			if tt.oneLine && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr is not one line:\n%s", stderr.String())
			}
			if len(tt.stderr) == 0 && stderr.Len() > 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
			if !strings.Contains(stderr.String(), "Usage:") && stdout.Len() > 0 {
				t.Errorf("stdout: %s", stdout.String())
			}
		})
	}
}
