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
	"strings"

	"platform-as-code/testing/control-plane/cli"
	"platform-as-code/testing/control-plane/kro"
	"platform-as-code/testing/control-plane/kube"
)

func main() {
	output := flag.String("o", "text", "output format: text or json (one object per RGD and line)")
	usage := cli.Usage("kro-build [-o text|json] FILE...")
	flag.Parse()
	if flag.NArg() == 0 || (*output != "text" && *output != "json") {
		usage()
	}
	results, err := run(flag.Args())
	if err != nil {
		cli.Fatal(err)
	}
	failed := false
	for _, r := range results {
		failed = failed || !r.OK
		if *output == "json" {
			line, err := json.Marshal(r)
			if err != nil {
				cli.Fatal(err)
			}
			fmt.Println(string(line))
		} else if r.OK {
			fmt.Printf("ok    %s %s (creates %s)\n", r.Source, r.Name, strings.Join(r.Order, ", "))
		} else {
			fmt.Printf("FAIL  %s %s: %s\n", r.Source, r.Name, r.Error)
		}
	}
	cli.ExitIf(failed)
}

func run(files []string) ([]kro.Result, error) {
	docs, types, err := kube.Load(files)
	if err != nil {
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
