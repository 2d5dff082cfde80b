// Command kro-render renders sample instances of the RGDs in YAML files with Kro's own runtime
// (the resolution the instance controller runs on each reconciliation), offline: what Kro would
// apply for each resource, which resources its includeWhen leaves out, and the instance status.
//
// Usage: kro-render -requests FILE FILE...
//
// -requests names a YAML list of {rgd, instance, observed}: `rgd` is the RGD's name (optional
// with one RGD), `observed` maps resource ids to the objects the cluster holds (required for
// external references). Prints one JSON document: {rgds, renders}. Exit status: 0 when every
// RGD builds and every instance renders, 1 otherwise, 2 on bad usage or unreadable input.
package main

import (
	"flag"
	"fmt"

	"platform-as-code/testing/control-plane/cli"
	"platform-as-code/testing/control-plane/kro"
	"platform-as-code/testing/control-plane/kube"
)

type report struct {
	RGDs    []kro.Result   `json:"rgds"`
	Renders []kro.Rendered `json:"renders"`
}

func main() {
	requests := flag.String("requests", "", "YAML list of instances to render")
	usage := cli.Usage("kro-render -requests FILE FILE...")
	flag.Parse()
	if flag.NArg() == 0 || *requests == "" {
		usage()
	}
	r, err := run(flag.Args(), *requests)
	if err != nil {
		cli.Fatal(err)
	}
	cli.PrintJSON(r)
	failed := false
	for _, x := range r.RGDs {
		failed = failed || !x.OK
	}
	for _, x := range r.Renders {
		failed = failed || x.Error != ""
	}
	cli.ExitIf(failed)
}

func run(files []string, requestsFile string) (*report, error) {
	docs, types, err := kube.Load(files)
	if err != nil {
		return nil, err
	}
	rgds, err := kro.Build(types, docs)
	if err != nil {
		return nil, err
	}
	var requests []kro.RenderRequest
	if err := cli.ReadYAML(requestsFile, &requests); err != nil {
		return nil, err
	}
	r := &report{RGDs: rgds, Renders: []kro.Rendered{}}
	for _, req := range requests {
		var match []kro.Result
		for _, x := range rgds {
			if x.OK && (req.RGD == "" || req.RGD == x.Name) {
				match = append(match, x)
			}
		}
		if len(match) != 1 {
			r.Renders = append(r.Renders, kro.Rendered{Error: fmt.Sprintf("rgd %q: %d built RGDs match, expected one", req.RGD, len(match))})
			continue
		}
		r.Renders = append(r.Renders, kro.Render(match[0].Graph, req))
	}
	for i := range r.RGDs {
		r.RGDs[i].CRD, r.RGDs[i].Order, r.RGDs[i].Dependencies = nil, nil, nil
	}
	if r.RGDs == nil {
		r.RGDs = []kro.Result{}
	}
	return r, nil
}
