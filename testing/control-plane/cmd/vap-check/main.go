// Command vap-check judges the ValidatingAdmissionPolicies in YAML files with the API server's
// own code, offline: the validation a create goes through, the type checker (every expression
// against the schema of the kinds the policy matches), and, with -requests, the admission
// plugin's verdict on sample requests.
//
// Usage: vap-check [-requests FILE] FILE...
//
// The kinds come from the release's built-in types, the CRDs in the files, and the CRDs Kro
// generates from the ResourceGraphDefinitions in the files. -requests names a YAML list of
// {operation, object, oldObject, namespaceLabels}. Prints one JSON document: {rgds, checks, outcomes}. Exit
// status: 0 when every check passes and every request could be evaluated, 1 otherwise, 2 on bad
// usage or unreadable input.
package main

import (
	"flag"
	"fmt"
	"strings"

	"platform-as-code/testing/control-plane/admission"
	"platform-as-code/testing/control-plane/cli"
	"platform-as-code/testing/control-plane/kro"
	"platform-as-code/testing/control-plane/kube"
)

type report struct {
	RGDs     []kro.Result            `json:"rgds"`
	Checks   []admission.CheckResult `json:"checks"`
	Outcomes []admission.Outcome     `json:"outcomes"`
}

func main() {
	requests := flag.String("requests", "", "YAML list of admission requests to evaluate")
	usage := cli.Usage("vap-check [-requests FILE] FILE...")
	flag.Parse()
	if flag.NArg() == 0 {
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
	for _, x := range r.Checks {
		failed = failed || !x.OK
	}
	for _, x := range r.Outcomes {
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
	set, err := admission.Load(docs)
	if err != nil {
		return nil, err
	}
	if len(set.Policies) == 0 {
		return nil, fmt.Errorf("no ValidatingAdmissionPolicy in %s", strings.Join(files, ", "))
	}
	r := &report{RGDs: rgds, Checks: admission.Check(types, set), Outcomes: []admission.Outcome{}}
	if requestsFile != "" {
		var requests []admission.Request
		if err := cli.ReadYAML(requestsFile, &requests); err != nil {
			return nil, err
		}
		for _, req := range requests {
			r.Outcomes = append(r.Outcomes, admission.Evaluate(types, set, req))
		}
	}
	// The generated CRDs are kro-build's business; here only whether they exist matters.
	for i := range r.RGDs {
		r.RGDs[i].CRD, r.RGDs[i].Order, r.RGDs[i].Dependencies = nil, nil, nil
	}
	if r.RGDs == nil {
		r.RGDs = []kro.Result{}
	}
	return r, nil
}
