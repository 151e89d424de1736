// Command chartdocs writes the values table of a chart's README from the
// helm-docs style comments of its values.yaml: a "# -- description" line
// (continued by the "# " lines after it) above a key documents that key and
// its default. A mapping without such a comment is a section: its keys are
// documented one by one. Every other key must carry a description, so a
// new value cannot ship undocumented.
//
//	go run ./hack/chartdocs -o charts/ackguard/README.md charts/ackguard
//
// The table replaces what stands between the README's
// "<!-- values:start -->" and "<!-- values:end -->" lines; the rest of the
// README is written by hand. `make manifests` runs it, `make verify`
// fails when the README is stale (hack/manifests.sh).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

const (
	startMarker = "<!-- values:start -->"
	endMarker   = "<!-- values:end -->"
)

// Value is one documented key.
type Value struct {
	Key, Type, Default, Description string
}

func main() {
	out := flag.String("o", "-", "where to write the README (- for standard output)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: chartdocs [-o FILE] CHART_DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out); err != nil {
		fmt.Fprintln(os.Stderr, "chartdocs:", err)
		os.Exit(1)
	}
}

func run(chart, out string) error {
	values, err := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		return err
	}
	readme, err := os.ReadFile(filepath.Join(chart, "README.md"))
	if err != nil {
		return err
	}
	vals, err := Parse(values)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(chart, "values.yaml"), err)
	}
	doc, err := Replace(readme, Table(vals))
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(chart, "README.md"), err)
	}
	if out == "-" {
		_, err = os.Stdout.Write(doc)
		return err
	}
	return os.WriteFile(out, doc, 0o644)
}

// Parse returns the documented values of a values.yaml, in file order.
func Parse(data []byte) ([]Value, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	if root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("values are not a mapping")
	}
	var out []Value
	var missing []string
	walk(root.Content[0], "", &out, &missing)
	if len(missing) > 0 {
		return nil, fmt.Errorf("undocumented values (add a \"# -- description\" comment): %s", strings.Join(missing, ", "))
	}
	return out, nil
}

func walk(m *yaml.Node, prefix string, out *[]Value, missing *[]string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := prefix + k.Value
		desc, ok := description(k.HeadComment)
		switch {
		case ok:
			*out = append(*out, Value{Key: key, Type: typeOf(v), Default: defaultOf(v), Description: desc})
			// Keys below a documented mapping may document themselves too.
			if v.Kind == yaml.MappingNode {
				walk(v, key+".", out, new([]string))
			}
		case v.Kind == yaml.MappingNode && len(v.Content) > 0:
			walk(v, key+".", out, missing)
		default:
			*missing = append(*missing, key)
		}
	}
}

// description returns the text of the "# -- " comment closest above a key
// and the "# " lines continuing it.
func description(comment string) (string, bool) {
	lines := strings.Split(comment, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "# --") {
			start = i
		}
	}
	if start < 0 {
		return "", false
	}
	parts := []string{strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[start]), "# --"))}
	for _, l := range lines[start+1:] {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "#") {
			break
		}
		parts = append(parts, strings.TrimSpace(strings.TrimPrefix(l, "#")))
	}
	return strings.Join(parts, " "), true
}

func typeOf(v *yaml.Node) string {
	switch v.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "list"
	}
	switch v.Tag {
	case "!!bool":
		return "bool"
	case "!!int":
		return "int"
	case "!!float":
		return "float"
	case "!!null":
		return "null"
	}
	return "string"
}

// defaultOf renders a value as compact JSON.
func defaultOf(v *yaml.Node) string {
	var x any
	if err := v.Decode(&x); err != nil {
		return "?"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return "?"
	}
	return strings.TrimSpace(b.String())
}

// Table renders the values as a Markdown table.
func Table(vals []Value) string {
	var b strings.Builder
	b.WriteString("| Key | Type | Default | Description |\n|---|---|---|---|\n")
	for _, v := range vals {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", v.Key, v.Type, cell(v.Default), cell(v.Description))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Replace puts table between the README's markers.
func Replace(readme []byte, table string) ([]byte, error) {
	s := string(readme)
	i, j := strings.Index(s, startMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %q ... %q section for the values table", startMarker, endMarker)
	}
	return []byte(s[:i+len(startMarker)] + "\n" + table + s[j:]), nil
}
