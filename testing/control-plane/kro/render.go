package kro

import (
	"errors"
	"fmt"

	"github.com/kubernetes-sigs/kro/pkg/graph"
	kroruntime "github.com/kubernetes-sigs/kro/pkg/runtime"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RenderRequest is an instance to render, and what the cluster holds for the graph's resources
// (required for external references; a resource without one is observed as Kro wants it).
type RenderRequest struct {
	RGD      string                    `json:"rgd,omitempty"`
	Instance map[string]any            `json:"instance"`
	Observed map[string]map[string]any `json:"observed,omitempty"`
}

// Rendered is what Kro would apply for an instance: every included resource as desired, the
// resources its includeWhen leaves out, whether each included resource is ready (its readyWhen,
// on what is observed), and the instance with the status Kro would write.
type Rendered struct {
	Resources map[string]map[string]any `json:"resources,omitempty"`
	Ignored   []string                  `json:"ignored,omitempty"`
	Ready     map[string]bool           `json:"ready,omitempty"`
	Instance  map[string]any            `json:"instance,omitempty"`
	Error     string                    `json:"error,omitempty"`
}

// Render runs one reconciliation's resolution with Kro's runtime (pkg/runtime, as the instance
// controller does), resource by resource in the graph's order, each observed as requested or as
// desired. The instance first gets the defaults of the CRD Kro generated, as the API server
// applies them.
func Render(g *graph.Graph, req RenderRequest) Rendered {
	out, err := render(g, req)
	if err != nil {
		return Rendered{Error: err.Error()}
	}
	return out
}

func render(g *graph.Graph, req RenderRequest) (Rendered, error) {
	instance := &unstructured.Unstructured{Object: req.Instance}
	if err := applyDefaults(g.CRD, instance); err != nil {
		return Rendered{}, err
	}
	rt, err := kroruntime.FromGraph(g, instance, rgdConfig)
	if err != nil {
		return Rendered{}, err
	}
	out := Rendered{Resources: map[string]map[string]any{}, Ready: map[string]bool{}}
	for _, node := range rt.Nodes() {
		id := node.Spec.Meta.ID
		ignored, err := node.IsIgnored()
		if err != nil {
			return Rendered{}, fmt.Errorf("resource %s: %w", id, err)
		}
		if ignored {
			out.Ignored = append(out.Ignored, id)
			continue
		}
		desired, err := node.GetDesired()
		if err != nil {
			return Rendered{}, fmt.Errorf("resource %s: %w", id, err)
		}
		observed := desired
		if o, ok := req.Observed[id]; ok {
			observed = []*unstructured.Unstructured{{Object: o}}
		} else if node.Spec.Meta.Type == graph.NodeTypeExternal || node.Spec.Meta.Type == graph.NodeTypeExternalCollection {
			return Rendered{}, fmt.Errorf("resource %s is an external reference: give the object it reads in observed", id)
		}
		node.SetObserved(observed)
		if len(desired) == 1 {
			out.Resources[id] = desired[0].Object
		}
		switch err := node.CheckReadiness(); {
		case err == nil:
			out.Ready[id] = true
		case errors.Is(err, kroruntime.ErrWaitingForReadiness):
			out.Ready[id] = false
		default:
			return Rendered{}, fmt.Errorf("resource %s: readiness: %w", id, err)
		}
	}
	status, err := rt.Instance().GetDesired()
	if err != nil {
		return Rendered{}, fmt.Errorf("instance status: %w", err)
	}
	out.Instance = status[0].Object
	return out, nil
}

func applyDefaults(crd *apiextensionsv1.CustomResourceDefinition, obj *unstructured.Unstructured) error {
	for _, v := range crd.Spec.Versions {
		if v.Name != obj.GroupVersionKind().Version || v.Schema == nil {
			continue
		}
		internal := &apiextensions.JSONSchemaProps{}
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
			return err
		}
		s, err := structuralschema.NewStructural(internal)
		if err != nil {
			return err
		}
		structuraldefaulting.Default(obj.Object, s)
		return nil
	}
	return fmt.Errorf("the instance's apiVersion %s is not a version of %s", obj.GetAPIVersion(), crd.Name)
}
