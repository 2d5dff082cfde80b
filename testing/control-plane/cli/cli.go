// Package cli holds what the module's commands share: reporting an error the way their callers
// (the TypeScript harness) read it, printing the JSON report, reading a YAML request file.
//
// Exit statuses are the same for every command: 0 when everything judged passes, 1 when
// something was judged and refused, 2 on bad usage or unreadable input.
package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// Fatal prints "error: <err>" on stderr and exits with status 2 (bad usage or unreadable input).
func Fatal(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(2)
}

// Usage sets the flag package's usage line and returns a function that prints it and exits 2.
func Usage(line string) func() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage:", line)
		flag.PrintDefaults()
	}
	return func() {
		flag.Usage()
		os.Exit(2)
	}
}

// PrintJSON prints v as one indented JSON document on stdout.
func PrintJSON(v any) {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		Fatal(err)
	}
	fmt.Println(string(out))
}

// ReadYAML reads the YAML (or JSON) file into out; errors name the file.
func ReadYAML(file string, out any) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// ExitIf exits with status 1 when failed is true (something judged was refused).
func ExitIf(failed bool) {
	if failed {
		os.Exit(1)
	}
}
