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
	"slices"
	"strings"

	"github.com/kubernetes-sigs/kro/api/v1alpha1"
	"github.com/kubernetes-sigs/kro/pkg/graph"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"platform-as-code/testing/control-plane/kube"
)

// The controller's defaults (cmd/controller/main.go, --rgd-max-collection-size and
// --rgd-max-collection-dimension-size).
var rgdConfig = graph.RGDConfig{MaxCollectionSize: 1000, MaxCollectionDimensionSize: 10}

// result is one RGD's outcome, one JSON object per line with -o json.
type result struct {
	Source string `json:"source"`
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	// Order is the order in which the controller creates the resources.
	Order []string `json:"order,omitempty"`
	// Dependencies lists, per resource, the resources its expressions read.
	Dependencies map[string][]string `json:"dependencies,omitempty"`
	// CRD is the instance CRD the controller would create.
	CRD *apiextensionsv1.CustomResourceDefinition `json:"crd,omitempty"`
}

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

func run(files []string) ([]result, error) {
	docs, err := kube.ReadFiles(files)
	if err != nil {
		return nil, err
	}
	types := kube.NewTypes()
	var rgds []kube.Document
	for _, d := range docs {
		switch d.Object.GroupVersionKind() {
		case apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"):
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := d.Into(crd); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Name(), err)
			}
			if err := types.AddCRD(crd); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Name(), err)
			}
		case v1alpha1.GroupVersion.WithKind("ResourceGraphDefinition"):
			rgds = append(rgds, d)
		}
	}
	if len(rgds) == 0 {
		return nil, fmt.Errorf("no ResourceGraphDefinition in %s", strings.Join(files, ", "))
	}
	builder, err := graph.NewBuilder(nil, nil,
		graph.WithSchemaResolver(types),
		graph.WithRESTMapper(types.RESTMapper()),
	)
	if err != nil {
		return nil, err
	}
	results := make([]result, 0, len(rgds))
	for _, d := range rgds {
		r := result{Source: fmt.Sprintf("%s#%d", d.File, d.Index), Name: d.Object.GetName()}
		rgd := &v1alpha1.ResourceGraphDefinition{}
		if err := d.Into(rgd); err != nil {
			r.Error = err.Error()
			results = append(results, r)
			continue
		}
		g, err := builder.NewResourceGraphDefinition(rgd, rgdConfig)
		if err != nil {
			r.Error = err.Error()
		} else {
			r.OK = true
			r.Order = g.TopologicalOrder
			r.Dependencies = map[string][]string{}
			for id, n := range g.Nodes {
				r.Dependencies[id] = append([]string{}, n.Meta.Dependencies...)
				slices.Sort(r.Dependencies[id])
			}
			r.CRD = g.CRD
			if err := types.AddCRD(g.CRD); err != nil {
				return nil, fmt.Errorf("%s: generated CRD: %w", d.Name(), err)
			}
		}
		results = append(results, r)
	}
	return results, nil
}
