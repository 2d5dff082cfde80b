// Command pod-security judges every pod template in YAML files (Pods, workloads, Crossplane
// DeploymentRuntimeConfigs) with Pod Security admission's own evaluator at the "restricted"
// level, and with the kubelet's non-root verification, offline.
//
// Usage: pod-security FILE...
//
// Prints one JSON document: {results: [{source, forbidden, unverifiableNonRoot}]}. Exit status:
// 0 when every template passes, 1 otherwise, 2 on bad usage or unreadable input.
package main

import (
	"fmt"
	"os"

	"platform-as-code/testing/control-plane/cli"
	"platform-as-code/testing/control-plane/kube"
	"platform-as-code/testing/control-plane/podsecurity"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: pod-security FILE...")
		os.Exit(2)
	}
	docs, err := kube.ReadFiles(os.Args[1:])
	if err != nil {
		cli.Fatal(err)
	}
	evaluator, err := podsecurity.NewEvaluator()
	if err != nil {
		cli.Fatal(err)
	}
	results := []podsecurity.Result{}
	for _, d := range docs {
		templates, err := podsecurity.Templates(d.Object)
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %s: %v\n", d.Name(), err)
			os.Exit(2)
		}
		for _, t := range templates {
			results = append(results, evaluator.Evaluate(fmt.Sprintf("%s %s", d.Name(), t.Path), t))
		}
	}
	cli.PrintJSON(map[string]any{"results": results})
	failed := false
	for _, r := range results {
		failed = failed || len(r.Forbidden) > 0 || len(r.Unverifiable) > 0
	}
	cli.ExitIf(failed)
}
