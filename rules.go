package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/ackguard/ackguard/internal/cmdutil"
	"github.com/ackguard/ackguard/internal/ruledoc"
	"github.com/ackguard/ackguard/internal/rules"
)

func newRulesCommand(stdout io.Writer) *cobra.Command {
	output := ruledoc.FormatTable
	formats := []string{ruledoc.FormatTable, ruledoc.FormatMarkdown, ruledoc.FormatJSON}
	var markdown bool
	cmd := &cobra.Command{
		Use:   "rules [-o table|markdown|json]",
		Short: "List the rules",
		Long: `List every rule ackguard ships: ID, severity, the webhook's default action
(deny or warn), the reconciler's (fix or audit), the built-in baseline's
action and the public controls it maps to. "ackguard explain RULE-ID"
says more about one rule.`,
		Example: `  ackguard rules
  ackguard rules -o json | jq -r '.[] | select(.admission == "deny") | .id'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if markdown {
				output = ruledoc.FormatMarkdown
			}
			reg := rules.Default()
			switch output {
			case ruledoc.FormatMarkdown:
				return ruledoc.WriteMarkdownTable(stdout, reg, false)
			case ruledoc.FormatJSON:
				return ruledoc.WriteJSON(stdout, reg)
			}
			return ruledoc.WriteTable(stdout, reg)
		},
	}
	cmd.Flags().VarP(cmdutil.NewEnum(&output, formats...), "output", "o", "output `FORMAT`: table, markdown or json")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "same as --output markdown")
	_ = cmd.Flags().MarkHidden("markdown")
	cmd.MarkFlagsMutuallyExclusive("markdown", "output")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newExplainCommand(stdout io.Writer) *cobra.Command {
	output := ruledoc.FormatText
	formats := []string{ruledoc.FormatText, ruledoc.FormatMarkdown, ruledoc.FormatJSON}
	cmd := &cobra.Command{
		Use:   "explain RULE-ID",
		Short: "Explain a rule: what it checks, why, examples, how to fix it",
		Long: `Explain one rule: what it checks and why it matters, an insecure and a
secure ACK manifest (judged by the engine as you read them), how to fix a
finding, what the reconciler writes when it fixes one, the public controls
the rule maps to (Security Hub, AWS Config, Checkov, CIS) and whether the
rule is on by default. RULE-ID is case-insensitive ("s3-1" is S3-001).`,
		Example: `  ackguard explain S3-001
  ackguard explain iam-003 -o markdown`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var ids []string
			for _, r := range rules.Default().Rules() {
				ids = append(ids, r.ID+"\t"+r.Title)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			reg := rules.Default()
			r, err := ruledoc.Lookup(reg, args[0])
			if err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, err)
			}
			e, err := ruledoc.Explain(reg, r)
			if err != nil {
				return cmdutil.Fail(cmdutil.ExitUsage, err)
			}
			switch output {
			case ruledoc.FormatMarkdown:
				return ruledoc.WriteMarkdown(stdout, e)
			case ruledoc.FormatJSON:
				return ruledoc.WriteExplanationJSON(stdout, e)
			}
			return ruledoc.WriteText(stdout, e)
		},
	}
	cmd.Flags().VarP(cmdutil.NewEnum(&output, formats...), "output", "o", "output `FORMAT`: text, markdown or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
