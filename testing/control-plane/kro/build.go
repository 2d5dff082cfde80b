// Package kro runs Kro's own graph builder (the code the Kro controller runs when a
// ResourceGraphDefinition is applied) offline, over the types of package kube.
package kro

import (
	"fmt"
	"slices"

	"github.com/kubernetes-sigs/kro/api/v1alpha1"
	"github.com/kubernetes-sigs/kro/pkg/graph"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"platform-as-code/testing/control-plane/kube"
)

// The controller's defaults (cmd/controller/main.go, --rgd-max-collection-size and
// --rgd-max-collection-dimension-size).
var rgdConfig = graph.RGDConfig{MaxCollectionSize: 1000, MaxCollectionDimensionSize: 10}

// Result is one RGD's outcome.
type Result struct {
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
	// Graph is what the controller runs instances with.
	Graph *graph.Graph `json:"-"`
}

// IsRGD says whether a document is a ResourceGraphDefinition.
func IsRGD(d kube.Document) bool {
	return d.Object.GroupVersionKind() == v1alpha1.GroupVersion.WithKind("ResourceGraphDefinition")
}

// Build builds every RGD among docs, in order, and registers each generated CRD with types (as
// the controller creates it), so that later graphs and admission policies may use its kind.
func Build(types *kube.Types, docs []kube.Document) ([]Result, error) {
	builder, err := graph.NewBuilder(nil, nil,
		graph.WithSchemaResolver(types),
		graph.WithRESTMapper(types.RESTMapper()),
	)
	if err != nil {
		return nil, err
	}
	var results []Result
	for _, d := range docs {
		if !IsRGD(d) {
			continue
		}
		r := Result{Source: fmt.Sprintf("%s#%d", d.File, d.Index), Name: d.Object.GetName()}
		rgd := &v1alpha1.ResourceGraphDefinition{}
		if err := d.Into(rgd); err != nil {
			r.Error = err.Error()
			results = append(results, r)
			continue
		}
		g, err := builder.NewResourceGraphDefinition(rgd, rgdConfig)
		if err != nil {
			r.Error = err.Error()
			results = append(results, r)
			continue
		}
		r.OK = true
		r.Order = g.TopologicalOrder
		r.Dependencies = map[string][]string{}
		for id, n := range g.Nodes {
			r.Dependencies[id] = append([]string{}, n.Meta.Dependencies...)
			slices.Sort(r.Dependencies[id])
		}
		r.CRD = g.CRD
		r.Graph = g
		if err := types.AddCRD(g.CRD); err != nil {
			return nil, fmt.Errorf("%s: generated CRD: %w", d.Name(), err)
		}
		results = append(results, r)
	}
	return results, nil
}
