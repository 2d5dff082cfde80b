// Command kro-build runs Kro's own graph builder (the code the Kro controller runs when a
// ResourceGraphDefinition is applied) over the RGDs in YAML files, offline. An RGD the builder
// refuses is one the controller marks Inactive: no CRD, every instance fails.
//
// Usage: kro-build [-o text|json] FILE...
//
// CustomResourceDefinitions in the files are registered first, so that graphs may use their
// kinds; each RGD's generated CRD is registered after it builds, as the controller does. Exit
// status: 0 when every RGD builds, 1 when one does not, 2 on bad usage or unreadable input.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"platform-as-code/testing/control-plane/kro"
	"platform-as-code/testing/control-plane/kube"
)

func main() {
	output := flag.String("o", "text", "output format: text or json (one object per RGD and line)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: kro-build [-o text|json] FILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || (*output != "text" && *output != "json") {
		flag.Usage()
		os.Exit(2)
	}
	results, err := run(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
	failed := false
	for _, r := range results {
		failed = failed || !r.OK
		if *output == "json" {
			line, err := json.Marshal(r)
			if err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
				os.Exit(2)
			}
			fmt.Println(string(line))
		} else if r.OK {
			fmt.Printf("ok    %s %s (creates %s)\n", r.Source, r.Name, strings.Join(r.Order, ", "))
		} else {
			fmt.Printf("FAIL  %s %s: %s\n", r.Source, r.Name, r.Error)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func run(files []string) ([]kro.Result, error) {
	docs, err := kube.ReadFiles(files)
	if err != nil {
		return nil, err
	}
	types := kube.NewTypes()
	if err := kube.RegisterCRDs(types, docs); err != nil {
		return nil, err
	}
	results, err := kro.Build(types, docs)
	if err != nil {
		return nil, err
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("no ResourceGraphDefinition in %s", strings.Join(files, ", "))
	}
	return results, nil
}
